"""The admin's namespace file browser: list, upload, download, delete, on the file services."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from namespaces.models import NamespaceFile

from .namespace_files import nothing_stored, stored_objects


@pytest.fixture(autouse=True)
def storage(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


def add(admin_client, namespace: str, path: str, data: bytes, **extra):
    form = {"namespace": namespace, "path": path, "file": SimpleUploadedFile("report.csv", data)}
    return admin_client.post("/admin/namespaces/namespacefile/add/", form, **extra)


def test_a_file_uploaded_in_the_admin_is_listed_with_its_size_and_downloads(admin_client):
    response = add(admin_client, "acme", "/reports/q1.csv", b"a,b\n1,2\n", follow=True)
    assert "Uploaded /reports/q1.csv to acme." in response.content.decode()
    page = admin_client.get("/admin/namespaces/namespacefile/").content.decode()
    assert "/reports/q1.csv" in page and "/reports" in page
    file = NamespaceFile.objects.get(path="/reports/q1.csv")
    download = admin_client.get(f"/admin/namespaces/namespacefile/{file.pk}/download/")
    assert download["Content-Disposition"] == 'attachment; filename="q1.csv"'
    assert b"".join(download.streaming_content) == b"a,b\n1,2\n"


def test_without_a_path_the_file_lands_at_the_top_under_its_name(admin_client):
    assert add(admin_client, "acme", "", b"x").status_code == 302
    assert NamespaceFile.objects.filter(namespace_id="acme", path="/report.csv").exists()


def test_a_refused_upload_shows_the_reason_and_stores_nothing(admin_client):
    response = add(admin_client, "acme", "../up.csv", b"x")
    assert response.status_code == 200
    assert "has a &#x27;..&#x27; segment" in response.content.decode()
    assert nothing_stored()


def test_each_revision_downloads_from_the_detail_page(admin_client):
    add(admin_client, "acme", "/a.txt", b"one")
    add(admin_client, "acme", "/a.txt", b"two")
    file = NamespaceFile.objects.get(path="/a.txt")
    detail = admin_client.get(f"/admin/namespaces/namespacefile/{file.pk}/change/").content.decode()
    assert "revision 2" in detail and "revision 1" in detail
    first = admin_client.get(f"/admin/namespaces/namespacefile/{file.pk}/download/?revision=1")
    assert b"".join(first.streaming_content) == b"one"


def test_deleting_in_the_admin_goes_through_the_service(admin_client, django_capture_on_commit_callbacks):
    add(admin_client, "acme", "/dir/a.txt", b"a")
    add(admin_client, "acme", "/dir/b.txt", b"b")
    directory = NamespaceFile.objects.get(path="/dir")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/namespaces/namespacefile/{directory.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert nothing_stored()


def test_a_bulk_delete_of_a_directory_and_its_contents_works(admin_client, django_capture_on_commit_callbacks):
    add(admin_client, "acme", "/dir/a.txt", b"a")
    add(admin_client, "acme", "/keep.txt", b"k")
    chosen = NamespaceFile.objects.filter(path__startswith="/dir").values_list("pk", flat=True)
    form = {"action": "delete_selected", "post": "yes", "_selected_action": [str(pk) for pk in chosen]}
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post("/admin/namespaces/namespacefile/", form).status_code == 302
    assert list(NamespaceFile.objects.values_list("path", flat=True)) == ["/keep.txt"]
    assert len(stored_objects()) == 1
