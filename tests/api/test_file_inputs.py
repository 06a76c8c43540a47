"""FILE inputs: uploads streamed into storage, in both of Kestra's multipart conventions."""

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from executions.models import Execution

from .drive import run_to_end
from .helpers import YAML, assert_problem

FLOW = """\
id: report
namespace: acme.files
inputs:
  - id: data
    type: FILE
  - id: rows
    type: INT
tasks:
  - id: uri
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.data }}"
"""


def stored_path(uri: str) -> str:
    assert uri.startswith("kestra:///")
    return uri.removeprefix("kestra:///")


def test_a_part_named_after_the_input_is_stored_and_its_uri_is_the_input(api):
    api.post("/api/v1/flows", FLOW, content_type=YAML)
    upload = SimpleUploadedFile("sales 2024.csv", b"a,b\n1,2\n")
    body = api.post("/api/v1/executions/acme.files/report", {"data": upload, "rows": "2"}, format="multipart").json()
    uri = body["inputs"]["data"]
    assert uri == f"kestra:///acme/files/report/executions/{body['id']}/inputs/data/sales_2024.csv"
    with default_storage.open(stored_path(uri)) as stored:
        assert stored.read() == b"a,b\n1,2\n"
    assert run_to_end(body["id"]).state == "SUCCESS"
    assert api.get(f"/api/v1/executions/{body['id']}").json()["taskRunList"][0]["outputs"] == {"value": uri}


def test_kestra_0x_files_parts_use_the_filename_as_the_input_id(api):
    api.post("/api/v1/flows", FLOW, content_type=YAML)
    upload = SimpleUploadedFile("data", b"x")
    body = api.post("/api/v1/executions/acme.files/report", {"files": upload, "rows": "1"}, format="multipart").json()
    assert body["inputs"]["data"].endswith("/inputs/data/data")


def files_under(prefix: str) -> list[str]:
    if not default_storage.exists(prefix):
        return []
    directories, files = default_storage.listdir(prefix)
    return [f"{prefix}/{name}" for name in files] + [
        path for directory in directories for path in files_under(f"{prefix}/{directory}")
    ]


def test_a_refused_execution_leaves_no_file_behind(api):
    api.post("/api/v1/flows", FLOW.replace("acme.files", "acme.refused"), content_type=YAML)
    upload = SimpleUploadedFile("a.csv", b"x")
    response = api.post("/api/v1/executions/acme.refused/report", {"data": upload, "rows": "many"}, format="multipart")
    assert_problem(response, 422, "validation-failed")
    assert not Execution.objects.exists()
    assert files_under("acme/refused") == []


def test_an_empty_upload_or_a_missing_file_is_422(api):
    api.post("/api/v1/flows", FLOW, content_type=YAML)
    empty = SimpleUploadedFile("a.csv", b"")
    body = assert_problem(
        api.post("/api/v1/executions/acme.files/report", {"data": empty, "rows": "1"}, format="multipart"),
        422,
        "validation-failed",
    )
    assert body["errors"] == [{"path": "inputs.data", "detail": "the uploaded file is empty"}]
    body = assert_problem(
        api.post("/api/v1/executions/acme.files/report", {"rows": "1"}, format="multipart"), 422, "validation-failed"
    )
    assert body["errors"] == [{"path": "inputs.data", "detail": "missing required input"}]
    text = assert_problem(
        api.post("/api/v1/executions/acme.files/report", {"data": "/etc/passwd", "rows": "1"}, format="multipart"),
        422,
        "validation-failed",
    )
    assert text["errors"][0]["detail"].startswith("expected an uploaded file")
