"""The interface other code reads namespace files through (the engine's `read()`, script tasks)."""

import pytest
from django.core.files.base import ContentFile

from flowhub.exceptions import Invalid, NotFound
from namespaces.file_selectors import namespace_file_open, namespace_file_read_text, namespace_files_materialize
from namespaces.file_services import namespace_directory_create, namespace_file_write


@pytest.fixture(autouse=True)
def storage(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture
def files(db) -> None:
    namespace_file_write(namespace="acme", path="sql/query.sql", content=ContentFile("SELECT 'é';\n".encode()))
    namespace_file_write(namespace="acme", path="sql/query.sql", content=ContentFile(b"SELECT 2;\n"))
    namespace_file_write(namespace="acme", path="/blob.bin", content=ContentFile(b"\xff\xfe\x00"))
    namespace_directory_create(namespace="acme", path="/empty")


def test_text_is_read_whole_and_decoded(files):
    assert namespace_file_read_text(namespace="acme", path="/sql/query.sql", max_bytes=100) == "SELECT 2;\n"


def test_open_reads_the_current_or_a_given_revision(files):
    with namespace_file_open(namespace="acme", path="sql/query.sql") as stream:
        assert stream.read() == b"SELECT 2;\n"
    with namespace_file_open(namespace="acme", path="sql/query.sql", revision=1) as stream:
        assert stream.read(6) == b"SELECT"
        assert stream.read() == " 'é';\n".encode()


@pytest.mark.parametrize(
    "path, error, detail",
    [
        ("/missing.sql", NotFound, None),
        ("/empty", Invalid, "is a directory, not a file"),
        ("/", Invalid, "is a directory, not a file"),
        ("../etc/passwd", Invalid, "has a '..' segment"),
        ("/_flows/hello.yml", Invalid, "paths under /_flows are reserved for flows"),
        ("/blob.bin", Invalid, "not UTF-8 at byte 0"),
    ],
)
def test_what_cannot_be_read_says_why(files, path, error, detail):
    with pytest.raises(error) as raised:
        namespace_file_read_text(namespace="acme", path=path, max_bytes=100)
    if detail:
        assert [item.detail for item in raised.value.errors] == [detail]


def test_a_file_larger_than_allowed_is_refused_before_it_is_read(files):
    with pytest.raises(Invalid) as raised:
        namespace_file_read_text(namespace="acme", path="/sql/query.sql", max_bytes=5)
    assert raised.value.errors[0].detail == "the file has 10 bytes, more than the 5 allowed"


def test_a_missing_revision_or_namespace_is_not_found(files):
    with pytest.raises(NotFound):
        namespace_file_open(namespace="acme", path="/sql/query.sql", revision=3)
    with pytest.raises(NotFound):
        namespace_file_read_text(namespace="acme.other", path="/sql/query.sql", max_bytes=100)
    with pytest.raises(Invalid):
        namespace_file_read_text(namespace="Not Valid", path="/sql/query.sql", max_bytes=100)


def test_the_selected_files_are_written_into_a_working_directory(db, tmp_path):
    for path, data in [("/main.py", b"print(1)"), ("/lib/util.py", b"x = 2"), ("/lib/cache.tmp", b"junk")]:
        namespace_file_write(namespace="acme", path=path, content=ContentFile(data))
    workdir = tmp_path / "work"
    written = namespace_files_materialize(
        namespace="acme", directory=workdir, include=["**/*.py", "lib/**"], exclude=["**/*.tmp"]
    )
    assert written == ["/lib/util.py", "/main.py"]
    assert (workdir / "main.py").read_bytes() == b"print(1)"
    assert (workdir / "lib" / "util.py").read_bytes() == b"x = 2"
    assert not (workdir / "lib" / "cache.tmp").exists()
