"""Concurrent writes of namespace files keep the tree whole."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from namespaces.file_services import namespace_file_delete, namespace_file_write
from namespaces.models import NamespaceFile

from .namespace_files import stored_objects

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def own_storage(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


def closing_connection(action):
    def run(argument):
        try:
            return action(argument)
        finally:
            connection.close()

    return run


def test_ten_parallel_writers_of_a_new_file_each_make_a_revision(settings):
    settings.FLOWHUB_FILE_VERSIONS = 20

    def write(number: int) -> int:
        saved = namespace_file_write(namespace="acme", path="/new/dir/f.txt", content=ContentFile(b"%d" % number))
        return saved.current.revision

    with ThreadPoolExecutor(max_workers=10) as pool:
        revisions = list(pool.map(closing_connection(write), range(10)))
    assert sorted(revisions) == list(range(1, 11))
    assert list(NamespaceFile.objects.values_list("path", "kind")) == [
        ("/new", "Directory"),
        ("/new/dir", "Directory"),
        ("/new/dir/f.txt", "File"),
    ]
    assert len(stored_objects()) == 10


def act(job: tuple[str, str]) -> None:
    what, path = job
    if what == "delete":
        namespace_file_delete(namespace="acme", path=path)
    else:
        namespace_file_write(namespace="acme", path=path, content=ContentFile(b"new"))


def test_a_write_into_a_directory_that_a_delete_empties_keeps_its_directory():
    for round_number in range(20):
        old, new = f"/d{round_number}/old.txt", f"/d{round_number}/new.txt"
        namespace_file_write(namespace="acme", path=old, content=ContentFile(b"old"))
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(closing_connection(act), [("delete", old), ("write", new)]))
        paths = set(NamespaceFile.objects.values_list("path", flat=True))
        parents = set(NamespaceFile.objects.exclude(parent="/").values_list("parent", flat=True))
        assert parents <= paths, f"round {round_number}: a file without its directory"
        assert new in paths
