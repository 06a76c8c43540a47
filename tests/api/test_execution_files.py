"""Task output files: usable in later tasks through `read()` and inputFiles, and served at
`GET /executions/{id}/file?path=kestra:///…`, each execution's own files only."""

import pytest

from executions.models import LogEntry

from .helpers import RUNS_TASKS_ON_THIS_PROCESS, assert_problem
from .test_runnable_tasks_flows import run

pytestmark = RUNS_TASKS_ON_THIS_PROCESS

WRITER = """\
id: writer
namespace: acme.data
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "rows of {{ execution.id }}"
    extension: .txt
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.write.uri) }}"
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      copy.txt: "{{ outputs.write.uri }}"
    outputFiles: ["*.txt"]
    commands:
      - tr a-z A-Z < copy.txt > shout.txt
  - id: shout
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.script.outputFiles['shout.txt']) }}"
"""


@pytest.fixture
def written(api):
    execution, outputs, logs = run(api, WRITER)
    assert execution.state == "SUCCESS", logs
    return execution, outputs


def test_output_files_are_read_by_later_tasks(written):
    execution, outputs = written
    assert outputs["echo"] == {"value": f"rows of {execution.id}"}
    assert outputs["shout"] == {"value": f"ROWS OF {execution.id.upper()}"}


@pytest.mark.parametrize("prefix", ["/api/v1", "/api/v1/main"])
def test_an_execution_s_file_is_downloaded_by_its_uri(api, written, prefix):
    execution, outputs = written
    uri = outputs["script"]["outputFiles"]["shout.txt"]
    response = api.get(
        f"{prefix}/executions/{execution.id}/file", {"path": uri}, HTTP_ACCEPT="application/octet-stream"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="shout.txt"'
    assert b"".join(response.streaming_content) == f"ROWS OF {execution.id.upper()}".encode()
    metas = api.get(f"{prefix}/executions/{execution.id}/file/metas", {"path": uri})
    assert metas.json() == {"size": len(f"ROWS OF {execution.id}")}


def test_another_execution_s_file_is_refused_and_a_missing_one_is_404(api, written):
    first, outputs = written
    second, _, _ = run(api, WRITER.replace("id: writer", "id: second_writer"))
    uri = outputs["write"]["uri"]
    refused = api.get(f"/api/v1/executions/{second.id}/file", {"path": uri})
    body = assert_problem(refused, 422, "validation-failed")
    assert body["errors"][0]["path"] == "path"
    assert f"is not a file of execution {second.id}" in body["detail"]
    assert_problem(api.get(f"/api/v1/executions/{first.id}/file", {"path": uri + ".gone"}), 404, "not-found")
    assert_problem(api.get(f"/api/v1/executions/{first.id}/file", {"path": "/etc/passwd"}), 422, "validation-failed")
    escape = uri.rsplit("/", 3)[0] + "/../../other/secret.txt"
    assert_problem(api.get(f"/api/v1/executions/{first.id}/file", {"path": escape}), 422, "validation-failed")
    assert_problem(api.get("/api/v1/executions/nope/file", {"path": uri}), 404, "not-found")
    missing = assert_problem(api.get(f"/api/v1/executions/{first.id}/file"), 400, "invalid-query-parameter")
    assert missing["errors"] == [{"path": "path", "detail": "required"}]


def test_read_of_another_execution_s_file_fails_the_task_and_says_why(api, written):
    first, outputs = written
    thief = f"""\
id: thief
namespace: acme.data
tasks:
  - id: peek
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ read('{outputs["write"]["uri"]}') }}}}"
"""
    execution, _, _ = run(api, thief)
    assert execution.state == "FAILED"
    (message,) = LogEntry.objects.filter(execution=execution, level="ERROR").values_list("message", flat=True)
    assert f"is not a file of execution {execution.id}" in message
    assert f"rows of {first.id}" not in message
