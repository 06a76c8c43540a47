"""Namespace files on S3: a real S3-compatible server (moto, in server mode) started by the tests,
reached through django-storages and its real boto3 client."""

import hashlib
import io
import socket
import uuid
import zipfile

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from moto.server import ThreadedMotoServer

from namespaces.file_selectors import namespace_file_open, namespace_file_read_text
from namespaces.file_services import namespace_file_delete
from namespaces.models import Flow

from .helpers import YAML, assert_problem, flow
from .namespace_files import content, nothing_stored, stored_objects, upload, url, zip_of

NAMESPACE = "acme.data"
FILES = f"/api/v1/main/namespaces/{NAMESPACE}/files"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def bucket(s3_endpoint, settings):
    """A new bucket as the default storage; files over 5 MiB go up in multipart uploads."""
    name = f"flowhub-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "region_name": CREDENTIALS["region_name"],
                "file_overwrite": True,
                "default_acl": None,
                "transfer_config": TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB),
            },
        },
    }
    return client, name


def patterned(size: int) -> bytes:
    return (hashlib.sha256(b"flowhub").digest() * (size // 32 + 1))[:size]


def test_a_multipart_upload_streams_back_byte_for_byte(api, bucket):
    client, name = bucket
    data = patterned(6 * MiB + 123)
    assert upload(api, FILES, "/data/big.bin", data).status_code == 200
    (key,) = [item["Key"] for item in client.list_objects_v2(Bucket=name)["Contents"]]
    assert key.startswith("acme/data/_files/")
    assert client.head_object(Bucket=name, Key=key)["ContentLength"] == len(data)
    response = api.get(url(FILES, path="data/big.bin"), HTTP_ACCEPT="application/octet-stream")
    assert response["Content-Length"] == str(len(data))
    assert hashlib.sha256(content(response)).digest() == hashlib.sha256(data).digest()
    assert api.get(url(FILES + "/stats", path="/data/big.bin")).json()["size"] == len(data)


def test_the_read_interface_streams_from_s3(api):
    upload(api, FILES, "/query.sql", b"SELECT 1;\n")
    upload(api, FILES, "/query.sql", b"SELECT 2;\n")
    with namespace_file_open(namespace=NAMESPACE, path="query.sql", revision=1) as stream:
        assert stream.read(6) == b"SELECT"
        assert stream.read() == b" 1;\n"
    assert namespace_file_read_text(namespace=NAMESPACE, path="/query.sql", max_bytes=64) == "SELECT 2;\n"


def test_revisions_are_kept_restored_and_pruned(api, settings, django_capture_on_commit_callbacks):
    settings.FLOWHUB_FILE_VERSIONS = 1
    with django_capture_on_commit_callbacks(execute=True):
        for text in (b"one", b"two", b"three"):
            upload(api, FILES, "/notes.txt", text)
    assert api.get(url(FILES + "/revisions", path="/notes.txt")).json() == [{"revision": 2}, {"revision": 3}]
    assert len(stored_objects()) == 2
    assert content(api.get(url(FILES, path="/notes.txt", revision=2))) == b"two"
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(url(FILES + "/restore", path="/notes.txt", revision=2)).json() == {"revision": 4}
    assert content(api.get(url(FILES, path="/notes.txt"))) == b"two"
    assert len(stored_objects()) == 2


def test_moves_keep_the_objects_and_deletes_remove_them(api, django_capture_on_commit_callbacks):
    upload(api, FILES, "/src/app/main.py", b"main")
    upload(api, FILES, "/src/lib.py", b"lib")
    before = stored_objects()
    assert api.put(url(FILES, **{"from": "/src", "to": "/code"})).status_code == 200
    assert stored_objects() == before, "a move is a database update"
    assert content(api.get(url(FILES, path="/code/app/main.py"))) == b"main"
    assert_problem(api.put(url(FILES, **{"from": "/code/lib.py", "to": "/code/app/main.py"})), 409, "conflict")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(url(FILES, path="/code")).status_code == 200
    assert nothing_stored()


def test_export_and_zip_upload(api):
    upload(api, FILES, "/scripts/etl.py", b"print(1)\n")
    api.post("/api/v1/flows", flow("nightly", NAMESPACE), content_type=YAML)
    with zipfile.ZipFile(io.BytesIO(content(api.get(FILES + "/export")))) as archive:
        assert sorted(archive.namelist()) == ["_flows/nightly.yml", "scripts/", "scripts/etl.py"]
        assert archive.read("scripts/etl.py") == b"print(1)\n"
    bundle = zip_of({"more/a.txt": b"a", "_flows/other.yml": flow("other", "x").encode()})
    assert upload(api, FILES, "/", bundle, filename="more.zip").status_code == 200
    assert content(api.get(url(FILES, path="/more/a.txt"))) == b"a"
    assert Flow.objects.filter(namespace_id=NAMESPACE, flow_id="other").exists()


def test_refused_writes_leave_nothing_in_the_bucket(api, settings):
    assert_problem(upload(api, FILES, "../escape.txt", b"x"), 422, "validation-failed")
    assert_problem(upload(api, FILES, "/_flows/x.yml", b"x"), 422, "validation-failed")
    settings.FLOWHUB_MAX_UPLOAD_BYTES = 4096
    assert_problem(upload(api, FILES, "/big.bin", b"x" * 5000), 413, "payload-too-large")
    bomb = zip_of({"one.bin": b"\0" * 3000, "two.bin": b"\0" * 3000})
    assert_problem(upload(api, FILES, "/", bomb, filename="a.zip"), 413, "payload-too-large")
    assert nothing_stored()
    upload(api, FILES, "/dir/a.txt", b"a")
    before = stored_objects()
    assert_problem(upload(api, FILES, "/dir", b"x"), 409, "conflict")
    assert stored_objects() == before


def test_a_file_deleted_by_a_service_is_gone_from_the_bucket(api, django_capture_on_commit_callbacks):
    upload(api, FILES, "/a.txt", b"a")
    with django_capture_on_commit_callbacks(execute=True):
        namespace_file_delete(namespace=NAMESPACE, path="a.txt")
    assert nothing_stored()
