"""Kestra's own client, kestrapy, on namespace files: every call of its FilesApi, unchanged, against
`manage.py serve` (so downloads stream through uvicorn, as in production)."""

import io
import zipfile

import kestrapy
import pytest

from tests.e2e.conftest import EMBEDDED_ADMIN

pytestmark = pytest.mark.embedded


def test_kestrapy_uploads_lists_reads_moves_exports_and_deletes_namespace_files(embedded):
    _, base_url, _ = embedded
    client = kestrapy.KestraClient(host=base_url, username=EMBEDDED_ADMIN[0], password=EMBEDDED_ADMIN[1])
    files, namespace, tenant = client.files, "compat.files", "main"
    data = bytes(range(256)) * 8192  # 2 MiB: several chunks of the streamed download

    files.create_namespace_directory(namespace=namespace, tenant=tenant, path="/scripts")
    files.create_namespace_file(namespace=namespace, path="/scripts/etl.py", tenant=tenant, file_content=b"v1")
    files.create_namespace_file(namespace=namespace, path="/scripts/etl.py", tenant=tenant, file_content=b"v2")
    files.create_namespace_file(namespace=namespace, path="/data.bin", tenant=tenant, file_content=data)

    listed = files.list_namespace_directory_files(namespace=namespace, tenant=tenant)
    assert [(entry.file_name, entry.type.value, entry.size) for entry in listed] == [
        ("data.bin", "File", len(data)),
        ("scripts", "Directory", 0),
    ]
    assert files.file_content(namespace=namespace, path="/data.bin", tenant=tenant) == data
    assert files.file_content(namespace=namespace, path="/scripts/etl.py", tenant=tenant, revision=1) == b"v1"
    assert [
        item.revision for item in files.file_revisions(namespace=namespace, tenant=tenant, path="/scripts/etl.py")
    ] == [1, 2]
    stats = files.file_metadatas(namespace=namespace, tenant=tenant, path="/scripts/etl.py")
    assert (stats.file_name, stats.size) == ("etl.py", 2)

    files.move_file_directory(namespace=namespace, from_path="/scripts", to_path="/code", tenant=tenant)
    assert files.search_namespace_files(namespace=namespace, q="etl", tenant=tenant) == ["/code/etl.py"]
    with zipfile.ZipFile(io.BytesIO(files.export_namespace_files(namespace=namespace, tenant=tenant))) as archive:
        assert sorted(archive.namelist()) == ["code/", "code/etl.py", "data.bin"]
        assert archive.read("data.bin") == data

    files.delete_file_directory(namespace=namespace, path="/code", tenant=tenant)
    assert [entry.file_name for entry in files.list_namespace_directory_files(namespace=namespace, tenant=tenant)] == [
        "data.bin"
    ]
