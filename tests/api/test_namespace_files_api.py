"""Namespace files through the API (kestra-api.md §8), on local disk; tests/api/test_namespace_files_s3.py
runs the same operations on an S3 server."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from namespaces.models import Flow, NamespaceFileRevision

from .helpers import YAML, assert_problem, flow
from .namespace_files import content, nothing_stored, stored_objects, upload, url, zip_of

NAMESPACE = "acme.data"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path) -> None:
    """A storage of the test's own, so that "nothing was stored" can be checked."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture(params=["/api/v1/main", "/api/v1"])
def files(request) -> str:
    return f"{request.param}/namespaces/{NAMESPACE}/files"


# What works


def test_an_uploaded_file_downloads_byte_for_byte(api, files):
    data = bytes(range(256)) * 1000
    assert upload(api, files, "scripts/etl.py", data).status_code == 200
    response = api.get(url(files, path="/scripts/etl.py"), HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Length"] == str(len(data))
    assert response["Cache-Control"] == "no-cache"
    assert content(response) == data
    (blob,) = stored_objects()
    assert blob.startswith("acme/data/_files/"), "objects stay under the namespace's prefix"


def test_the_directory_listing_gives_kestras_file_attributes(api, files):
    upload(api, files, "/scripts/etl.py", b"print(1)\n")
    upload(api, files, "/readme.md", b"# hi\n")
    root = api.get(url(files + "/directory")).json()
    assert [(entry["fileName"], entry["type"], entry["size"]) for entry in root] == [
        ("readme.md", "File", 5),
        ("scripts", "Directory", 0),
    ]
    assert set(root[0]) == {"fileName", "lastModifiedTime", "creationTime", "type", "size"}
    assert isinstance(root[0]["lastModifiedTime"], int) and root[0]["lastModifiedTime"] > 1_600_000_000_000
    inner = api.get(url(files + "/directory", path="scripts/")).json()
    assert [entry["fileName"] for entry in inner] == ["etl.py"]


def test_the_root_exists_in_a_namespace_without_files(api, files):
    assert api.get(url(files + "/directory")).json() == []
    assert api.get(url(files + "/directory", path="/")).json() == []
    stats = api.get(url(files + "/stats")).json()
    assert (stats["fileName"], stats["type"], stats["size"]) == ("", "Directory", 0)


def test_stats_of_a_file_and_of_a_directory(api, files):
    upload(api, files, "/a/b.txt", b"12345")
    file = api.get(url(files + "/stats", path="a/b.txt")).json()
    assert (file["fileName"], file["type"], file["size"]) == ("b.txt", "File", 5)
    directory = api.get(url(files + "/stats", path="/a")).json()
    assert (directory["fileName"], directory["type"]) == ("a", "Directory")


def test_spaces_and_unicode_are_allowed_in_paths(api, files):
    assert upload(api, files, "/données/mon fichier ✓.txt", b"ok").status_code == 200
    assert content(api.get(url(files, path="données/mon fichier ✓.txt"))) == b"ok"
    assert api.get(url(files + "/search", q="FICHIER")).json() == ["/données/mon fichier ✓.txt"]


def test_each_write_is_a_revision_and_earlier_ones_stay_readable(api, files):
    for text in (b"one", b"two", b"three"):
        assert upload(api, files, "/notes.txt", text).status_code == 200
    assert api.get(url(files + "/revisions", path="/notes.txt")).json() == [
        {"revision": 1},
        {"revision": 2},
        {"revision": 3},
    ]
    assert content(api.get(url(files, path="/notes.txt"))) == b"three"
    assert content(api.get(url(files, path="/notes.txt", revision=1))) == b"one"
    stats = api.get(url(files + "/stats", path="/notes.txt")).json()
    assert stats["size"] == 5


def test_restoring_a_revision_makes_a_new_one_with_its_content(api, files):
    upload(api, files, "/notes.txt", b"one")
    upload(api, files, "/notes.txt", b"two")
    response = api.post(url(files + "/restore", path="notes.txt", revision=1))
    assert response.status_code == 200
    assert response.json() == {"revision": 3}
    assert content(api.get(url(files, path="/notes.txt"))) == b"one"
    assert [item["revision"] for item in api.get(url(files + "/revisions", path="/notes.txt")).json()] == [1, 2, 3]


def test_only_the_configured_number_of_previous_revisions_is_kept(
    api, files, settings, django_capture_on_commit_callbacks
):
    settings.FLOWHUB_FILE_VERSIONS = 2
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(1, 6):
            upload(api, files, "/notes.txt", f"version {number}".encode())
    assert [item["revision"] for item in api.get(url(files + "/revisions", path="/notes.txt")).json()] == [3, 4, 5]
    assert_problem(api.get(url(files, path="/notes.txt", revision=2)), 404, "not-found")
    assert content(api.get(url(files, path="/notes.txt", revision=3))) == b"version 3"
    assert len(stored_objects()) == 3, "the objects of dropped revisions are deleted"


def test_a_file_is_renamed_with_its_revisions(api, files):
    upload(api, files, "/a.txt", b"one")
    upload(api, files, "/a.txt", b"two")
    assert api.put(url(files, **{"from": "/a.txt", "to": "/archive/b.txt"})).status_code == 200
    assert_problem(api.get(url(files, path="/a.txt")), 404, "not-found")
    assert content(api.get(url(files, path="/archive/b.txt"))) == b"two"
    assert content(api.get(url(files, path="/archive/b.txt", revision=1))) == b"one"


def test_a_directory_moves_with_everything_inside(api, files):
    upload(api, files, "/src/app/main.py", b"main")
    upload(api, files, "/src/lib.py", b"lib")
    assert api.put(url(files, **{"from": "src", "to": "/code/python"})).status_code == 200
    assert content(api.get(url(files, path="/code/python/app/main.py"))) == b"main"
    assert content(api.get(url(files, path="/code/python/lib.py"))) == b"lib"
    assert [e["fileName"] for e in api.get(url(files + "/directory", path="/code/python")).json()] == ["app", "lib.py"]
    assert_problem(api.get(url(files + "/directory", path="/src")), 404, "not-found")


def test_delete_removes_a_directory_recursively_its_objects_and_the_directories_left_empty(
    api, files, django_capture_on_commit_callbacks
):
    upload(api, files, "/keep.txt", b"keep")
    upload(api, files, "/a/b/c/one.txt", b"1")
    upload(api, files, "/a/b/c/two.txt", b"2")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(url(files, path="/a/b/c")).status_code == 200
    assert [entry["fileName"] for entry in api.get(url(files + "/directory")).json()] == ["keep.txt"]
    assert len(stored_objects()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(url(files, path="keep.txt")).status_code == 200
    assert nothing_stored()


def test_directories_are_created_with_their_parents_and_twice_is_fine(api, files):
    assert api.post(url(files + "/directory", path="/x/y/z")).status_code == 200
    assert api.post(url(files + "/directory", path="/x/y/z/")).status_code == 200
    assert api.post(url(files + "/directory", path="/")).status_code == 200
    assert [entry["fileName"] for entry in api.get(url(files + "/directory", path="/x/y")).json()] == ["z"]
    assert api.get(url(files + "/directory", path="/x/y/z")).json() == []


def test_search_answers_the_paths_of_files_containing_the_text(api, files):
    for path in ("/etl/extract.py", "/etl/load.py", "/docs/ETL.md", "/other.txt"):
        upload(api, files, path, b"x")
    assert api.get(url(files + "/search", q="etl")).json() == ["/docs/ETL.md", "/etl/extract.py", "/etl/load.py"]
    assert api.get(url(files + "/search", q="100%")).json() == []


def test_the_export_is_a_zip_of_every_file_directory_and_flow(api, files):
    upload(api, files, "/scripts/etl.py", b"print(1)\n")
    upload(api, files, "/big.bin", bytes(range(256)) * 5000)
    api.post(url(files + "/directory", path="/empty"))
    source = flow("nightly", NAMESPACE)
    assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200
    response = api.get(files + "/export", HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{NAMESPACE}_files.zip"'
    with zipfile.ZipFile(io.BytesIO(content(response))) as archive:
        assert sorted(archive.namelist()) == ["_flows/nightly.yml", "big.bin", "empty/", "scripts/", "scripts/etl.py"]
        assert archive.read("scripts/etl.py") == b"print(1)\n"
        assert archive.read("big.bin") == bytes(range(256)) * 5000
        assert archive.read("_flows/nightly.yml").decode() == source


def test_a_zip_upload_is_unpacked_and_its_flows_saved_in_the_namespace(api, files):
    archive = zip_of(
        {
            "scripts/etl.py": b"print(1)\n",
            "data/": b"",
            "_flows/hello.yml": flow("hello", "somewhere.else").encode(),
        }
    )
    assert upload(api, files, "/ignored", archive, filename="bundle.zip").status_code == 200
    assert content(api.get(url(files, path="/scripts/etl.py"))) == b"print(1)\n"
    assert api.get(url(files + "/directory", path="/data")).json() == []
    assert_problem(api.get(url(files, path="/ignored")), 404, "not-found")
    saved = Flow.objects.get(flow_id="hello")
    assert saved.namespace_id == NAMESPACE
    assert f"namespace: {NAMESPACE}" in saved.current.source


def test_an_export_uploaded_to_another_namespace_recreates_it(api, files):
    upload(api, files, "/a/b.txt", b"b")
    api.post("/api/v1/flows", flow("nightly", NAMESPACE), content_type=YAML)
    exported = content(api.get(files + "/export"))
    other = files.replace(NAMESPACE, "acme.copy")
    assert upload(api, other, "/", exported, filename="acme.data_files.zip").status_code == 200
    assert content(api.get(url(other, path="/a/b.txt"))) == b"b"
    assert Flow.objects.filter(namespace_id="acme.copy", flow_id="nightly").exists()


def test_a_flow_saved_in_the_namespace_reads_a_file_with_read(api, files):
    """The read interface the engine's `read()` uses."""
    from namespaces.file_selectors import namespace_file_read_text

    upload(api, files, "/query.sql", "SELECT 'é';\n".encode())
    assert namespace_file_read_text(namespace=NAMESPACE, path="query.sql", max_bytes=100) == "SELECT 'é';\n"


# What is refused, and how

BAD_PATHS = {
    "a parent segment": ("../etc/passwd", "has a '..' segment"),
    "a parent segment inside": ("a/../../b", "has a '..' segment"),
    "a current segment": ("/a/./b", "has a '.' segment"),
    "an absolute path": ("//etc/passwd", "has an empty segment ('//')"),
    "an empty segment": ("a//b", "has an empty segment ('//')"),
    "a backslash": ("a\\b.txt", "contains a backslash"),
    "a drive letter": ("C:\\Windows\\x", "contains a backslash"),
    "a NUL": ("a\x00.txt", "contains a NUL character"),
    "a newline": ("a\nb.txt", "contains a control character"),
    "a DEL": ("a\x7fb.txt", "contains a control character"),
    "over 1024 bytes": ("/" + "a/" * 511 + "bc", "is longer than 1024 bytes"),
    "over 1024 bytes of UTF-8": ("é" * 513, "is longer than 1024 bytes"),
    "a name over 255 bytes": ("/dir/" + "n" * 256, "has a name longer than 255 bytes"),
}


@pytest.mark.parametrize("raw, reason", BAD_PATHS.values(), ids=BAD_PATHS.keys())
def test_a_bad_path_is_422_naming_the_parameter_and_nothing_is_stored(api, files, raw, reason):
    body = assert_problem(upload(api, files, raw, b"x"), 422, "validation-failed")
    assert body["errors"] == [{"path": "path", "detail": reason}]
    assert nothing_stored()
    for response in (
        api.get(url(files, path=raw)),
        api.delete(url(files, path=raw)),
        api.get(url(files + "/stats", path=raw)),
        api.get(url(files + "/directory", path=raw)),
        api.post(url(files + "/directory", path=raw)),
        api.get(url(files + "/revisions", path=raw)),
    ):
        assert assert_problem(response, 422, "validation-failed")["errors"] == [{"path": "path", "detail": reason}]
    assert nothing_stored()


def test_moves_name_the_bad_parameter(api, files):
    upload(api, files, "/a.txt", b"a")
    body = assert_problem(api.put(url(files, **{"from": "/a.txt", "to": "../b.txt"})), 422, "validation-failed")
    assert body["errors"] == [{"path": "to", "detail": "has a '..' segment"}]
    body = assert_problem(api.put(url(files, **{"from": "a\\b", "to": "/b.txt"})), 422, "validation-failed")
    assert body["errors"] == [{"path": "from", "detail": "contains a backslash"}]


@pytest.mark.parametrize("raw", ["_flows", "/_flows/hello.yml", "_flows/sub/x.txt"])
def test_paths_under_flows_are_forbidden(api, files, raw):
    body = assert_problem(upload(api, files, raw, b"x"), 422, "validation-failed")
    assert body["detail"].startswith("Forbidden path")
    assert body["errors"] == [{"path": "path", "detail": "paths under /_flows are reserved for flows"}]
    assert_problem(api.get(url(files, path=raw)), 422, "validation-failed")
    assert_problem(api.post(url(files + "/directory", path=raw)), 422, "validation-failed")
    upload(api, files, "/ok.txt", b"x")
    body = assert_problem(api.put(url(files, **{"from": "/ok.txt", "to": raw})), 422, "validation-failed")
    assert body["errors"][0]["path"] == "to"


def test_a_bad_namespace_is_422(api):
    response = upload(api, "/api/v1/namespaces/Not_Valid!/files", "/a.txt", b"x")
    assert assert_problem(response, 422, "validation-failed")["errors"][0]["path"] == "namespace"
    response = api.get("/api/v1/namespaces/Not_Valid!/files/directory")
    assert_problem(response, 422, "validation-failed")


@pytest.mark.parametrize(
    "method, suffix, params, missing",
    [
        ("get", "", {}, "path"),
        ("post", "", {}, "path"),
        ("delete", "", {}, "path"),
        ("put", "", {"to": "/b"}, "from"),
        ("put", "", {"from": "/a"}, "to"),
        ("post", "/directory", {}, "path"),
        ("get", "/revisions", {}, "path"),
        ("get", "/search", {}, "q"),
        ("post", "/restore", {"revision": 1}, "path"),
        ("post", "/restore", {"path": "/a"}, "revision"),
    ],
)
def test_a_missing_parameter_is_400_naming_it(api, files, method, suffix, params, missing):
    response = getattr(api, method)(url(files + suffix, **params))
    body = assert_problem(response, 400, "invalid-query-parameter")
    assert body["errors"] == [{"path": missing, "detail": "required"}]


@pytest.mark.parametrize("revision", ["0", "x", "-1", "1.5"])
def test_a_bad_revision_is_400(api, files, revision):
    upload(api, files, "/a.txt", b"a")
    body = assert_problem(api.get(url(files, path="/a.txt", revision=revision)), 400, "invalid-query-parameter")
    assert body["errors"][0]["path"] == "revision"


def test_an_upload_without_the_file_part_is_422(api, files):
    body = assert_problem(api.post(url(files, path="/a.txt")), 422, "validation-failed")
    assert body["errors"] == [{"path": "fileContent", "detail": "a file part is required"}]
    as_text = api.post(url(files, path="/a.txt"), {"fileContent": "just text"}, format="multipart")
    assert assert_problem(as_text, 422, "validation-failed")["errors"][0]["path"] == "fileContent"
    other_part = api.post(url(files, path="/a.txt"), {"file": SimpleUploadedFile("a", b"x")}, format="multipart")
    assert_problem(other_part, 422, "validation-failed")
    assert nothing_stored()


def test_an_upload_over_the_limit_is_413_and_nothing_is_stored(api, files, settings):
    settings.FLOWHUB_MAX_UPLOAD_BYTES = 4096
    assert_problem(upload(api, files, "/big.bin", b"x" * 5000), 413, "payload-too-large")
    assert nothing_stored()
    assert upload(api, files, "/fits.bin", b"x" * 4096).status_code == 200


def test_missing_things_are_404(api, files):
    upload(api, files, "/a.txt", b"a")
    assert_problem(api.get(url(files, path="/missing.txt")), 404, "not-found")
    assert_problem(api.get(url(files, path="/a.txt", revision=7)), 404, "not-found")
    assert_problem(api.delete(url(files, path="/missing.txt")), 404, "not-found")
    assert_problem(api.get(url(files + "/stats", path="/missing")), 404, "not-found")
    assert_problem(api.get(url(files + "/directory", path="/missing")), 404, "not-found")
    assert_problem(api.get(url(files + "/revisions", path="/missing.txt")), 404, "not-found")
    assert_problem(api.put(url(files, **{"from": "/missing.txt", "to": "/b.txt"})), 404, "not-found")
    assert_problem(api.post(url(files + "/restore", path="/a.txt", revision=9)), 404, "not-found")


def test_moving_onto_an_existing_path_is_409_and_changes_nothing(api, files):
    upload(api, files, "/a.txt", b"a")
    upload(api, files, "/dir/b.txt", b"b")
    body = assert_problem(api.put(url(files, **{"from": "/a.txt", "to": "/dir/b.txt"})), 409, "conflict")
    assert body["errors"] == [{"path": "to", "detail": "already exists"}]
    assert_problem(api.put(url(files, **{"from": "/a.txt", "to": "/dir"})), 409, "conflict")
    assert_problem(api.put(url(files, **{"from": "/a.txt", "to": "/a.txt"})), 409, "conflict")
    assert content(api.get(url(files, path="/a.txt"))) == b"a"
    assert content(api.get(url(files, path="/dir/b.txt"))) == b"b"


def test_a_move_that_would_make_a_path_too_long_is_422(api, files):
    assert upload(api, files, "/d/" + "n" * 255 + "/" + "m" * 255 + "/f.txt", b"x").status_code == 200
    target = "/" + "e" * 255 + "/" + "f" * 255
    body = assert_problem(api.put(url(files, **{"from": "/d", "to": target})), 422, "validation-failed")
    assert body["errors"] == [{"path": "to", "detail": "makes a path inside longer than 1024 bytes"}]
    assert api.get(url(files + "/stats", path="/d")).json()["type"] == "Directory", "nothing moved"


def test_a_directory_cannot_move_into_itself_nor_the_root_move_or_go(api, files):
    upload(api, files, "/dir/b.txt", b"b")
    body = assert_problem(api.put(url(files, **{"from": "/dir", "to": "/dir/sub"})), 422, "validation-failed")
    assert body["errors"][0]["path"] == "to"
    assert_problem(api.put(url(files, **{"from": "/", "to": "/x"})), 422, "validation-failed")
    assert_problem(api.delete(url(files, path="/")), 422, "validation-failed")
    assert_problem(upload(api, files, "/", b"x"), 422, "validation-failed")


def test_files_and_directories_cannot_take_each_others_place(api, files):
    upload(api, files, "/dir/b.txt", b"b")
    before = stored_objects()
    body = assert_problem(upload(api, files, "/dir", b"x"), 409, "conflict")
    assert body["errors"] == [{"path": "path", "detail": "is a directory"}]
    body = assert_problem(upload(api, files, "/dir/b.txt/c.txt", b"x"), 409, "conflict")
    assert body["errors"] == [{"path": "path", "detail": "'/dir/b.txt' is a file"}]
    assert_problem(api.post(url(files + "/directory", path="/dir/b.txt")), 409, "conflict")
    assert stored_objects() == before, "the object of a refused upload is deleted again"
    assert NamespaceFileRevision.objects.count() == 1
    assert_problem(api.get(url(files, path="/dir")), 422, "validation-failed")
    assert_problem(api.get(url(files + "/directory", path="/dir/b.txt")), 422, "validation-failed")


def test_a_bad_zip_is_refused_whole(api, files, settings):
    not_a_zip = upload(api, files, "/", b"not a zip at all", filename="data.zip")
    assert assert_problem(not_a_zip, 422, "validation-failed")["errors"][0]["path"] == "fileContent"
    climbing = upload(api, files, "/", zip_of({"ok.txt": b"ok", "../evil.txt": b"x"}), filename="a.zip")
    body = assert_problem(climbing, 422, "validation-failed")
    assert body["errors"] == [{"path": "fileContent", "detail": "has a '..' segment"}]
    bad_flow = zip_of({"ok.txt": b"ok", "_flows/broken.yml": b"id: broken\nnamespace: x\n"})
    assert_problem(upload(api, files, "/", bad_flow, filename="a.zip"), 422, "validation-failed")
    encrypted = bytearray(zip_of({"secret.txt": b"x"}))
    encrypted[6] |= 1  # the "encrypted" flag, in the local header and in the central directory
    encrypted[encrypted.rindex(b"PK\x01\x02") + 8] |= 1
    body = assert_problem(upload(api, files, "/", bytes(encrypted), filename="a.zip"), 422, "validation-failed")
    assert body["errors"] == [{"path": "fileContent", "detail": "secret.txt: encrypted"}]
    settings.FLOWHUB_MAX_UPLOAD_BYTES = 4096
    bomb = zip_of({"one.bin": b"\0" * 3000, "two.bin": b"\0" * 3000})
    assert len(bomb) < 4096
    assert_problem(upload(api, files, "/", bomb, filename="a.zip"), 413, "payload-too-large")
    assert nothing_stored()
    assert not Flow.objects.exists()


def test_the_api_needs_a_login(anonymous, files):
    assert_problem(anonymous.get(url(files + "/directory")), 401, "unauthenticated")
