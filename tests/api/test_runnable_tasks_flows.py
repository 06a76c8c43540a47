"""Flows using the runnable task types, run to their end against the real KV store, namespace files and storage."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from executions.models import LogEntry, TaskRun
from kv.models import KVEntry
from kv.selectors import kv_value
from namespaces.file_selectors import namespace_file_read_text, namespace_files
from namespaces.file_services import namespace_file_write

from .drive import run_to_end
from .helpers import RUNS_TASKS_ON_THIS_PROCESS, YAML

SECRET = "s3cr3t-Only-The-Script-Knows"


pytestmark = RUNS_TASKS_ON_THIS_PROCESS


def run(api, source: str, inputs: dict | None = None):
    """Save the flow, execute it to its end; the execution, its task runs' outputs by task id, its log lines."""
    saved = api.post("/api/v1/flows", source, content_type=YAML)
    assert saved.status_code == 200, saved.content
    flow = saved.json()
    created = api.post(f"/api/v1/executions/{flow['namespace']}/{flow['id']}", inputs or {}, format="multipart")
    assert created.status_code == 200, created.content
    execution = run_to_end(created.json()["id"])
    outputs = dict(TaskRun.objects.filter(execution=execution).values_list("task_id", "outputs"))
    logs = list(LogEntry.objects.filter(execution=execution).order_by("id").values_list("task_id", "level", "message"))
    return execution, outputs, logs


def stored(uri: str) -> bytes:
    with default_storage.open(uri.removeprefix("kestra:///"), "rb") as stream:
        return stream.read()


def test_kv_tasks_set_get_list_and_delete(api):
    source = """\
id: kv_tasks
namespace: acme.sales
tasks:
  - id: set_text
    type: io.kestra.plugin.core.kv.Set
    key: app.region
    value: "{{ flow.namespace }}-eu"
  - id: set_map
    type: io.kestra.plugin.core.kv.Set
    key: app.limits
    value: {daily: 5}
    ttl: PT1H
  - id: set_number
    type: io.kestra.plugin.core.kv.Set
    key: count
    value: "42"
    kvType: NUMBER
    namespace: acme
  - id: get
    type: io.kestra.plugin.core.kv.Get
    key: app.region
  - id: missing
    type: io.kestra.plugin.core.kv.Get
    key: nope
  - id: keys
    type: io.kestra.plugin.core.kv.GetKeys
    prefix: app.
  - id: delete
    type: io.kestra.plugin.core.kv.Delete
    key: app.limits
  - id: use
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.get.value }} {{ kv('count') }} {{ outputs.keys['keys'] | length }}"
"""
    execution, outputs, logs = run(api, source)
    assert execution.state == "SUCCESS", logs
    assert outputs["get"] == {"value": "acme.sales-eu"}
    assert outputs["missing"] == {"value": None}
    assert outputs["keys"] == {"keys": ["app.limits", "app.region"]}
    assert outputs["delete"] == {"deleted": True}
    assert outputs["use"] == {"value": "acme.sales-eu 42 2"}
    assert kv_value(namespace="acme", key="count", inherit=False, error_on_missing=True) == 42
    assert set(KVEntry.objects.values_list("namespace_id", "key", "type")) == {
        ("acme.sales", "app.region", "STRING"),
        ("acme", "count", "NUMBER"),
    }


def test_set_without_overwrite_fails_on_an_existing_key(api):
    source = """\
id: kv_conflict
namespace: acme
tasks:
  - id: first
    type: io.kestra.plugin.core.kv.Set
    key: k
    value: one
  - id: second
    type: io.kestra.plugin.core.kv.Set
    key: k
    value: two
    overwrite: false
"""
    execution, _, logs = run(api, source)
    assert execution.state == "FAILED"
    assert ("second", "ERROR", "Conflict: key 'k' already exists in namespace 'acme'") in logs


def test_write_upload_download_and_delete_files(api):
    namespace_file_write(namespace="acme", path="/docs/old.txt", content=ContentFile(b"old", name="old.txt"))
    source = """\
id: files
namespace: acme
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "report of {{ execution.id }}"
    extension: .txt
  - id: upload
    type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: acme
    destination: /docs
    filesMap:
      report.txt: "{{ outputs.write.uri }}"
      notes/inline.md: "# inline"
  - id: download
    type: io.kestra.plugin.core.namespace.DownloadFiles
    namespace: acme
    files: ["/docs/**.txt"]
  - id: delete
    type: io.kestra.plugin.core.namespace.DeleteFiles
    namespace: acme
    files: /docs/old.txt
"""
    execution, outputs, logs = run(api, source)
    assert execution.state == "SUCCESS", logs
    uri = outputs["write"]["uri"]
    prefix = f"kestra:///acme/files/executions/{execution.id}/write/"
    assert uri.startswith(prefix) and uri.endswith(".txt")
    assert stored(uri) == f"report of {execution.id}".encode()
    assert outputs["upload"] == {
        "files": {
            "/docs/report.txt": "nsfile://acme/docs/report.txt",
            "/docs/notes/inline.md": "nsfile://acme/docs/notes/inline.md",
        }
    }
    assert (
        namespace_file_read_text(namespace="acme", path="/docs/report.txt", max_bytes=100)
        == f"report of {execution.id}"
    )
    assert namespace_file_read_text(namespace="acme", path="/docs/notes/inline.md", max_bytes=100) == "# inline"
    downloaded = outputs["download"]["files"]
    assert sorted(downloaded) == ["/docs/old.txt", "/docs/report.txt"]
    assert stored(downloaded["/docs/old.txt"]) == b"old"
    assert downloaded["/docs/old.txt"].startswith(f"kestra:///acme/files/executions/{execution.id}/download/")
    assert outputs["delete"] == {"files": {"/docs/old.txt": "nsfile://acme/docs/old.txt"}}
    assert not namespace_files(namespace="acme").filter(path="/docs/old.txt").exists()


def test_a_task_cannot_read_another_execution_s_files(api):
    source = """\
id: thief
namespace: acme
tasks:
  - id: upload
    type: io.kestra.plugin.core.namespace.UploadFiles
    filesMap:
      stolen.txt: "kestra:///acme/other/executions/someone/write/x/secret.txt"
"""
    execution, _, logs = run(api, source)
    assert execution.state == "FAILED"
    assert any("is not a file of execution" in message for _, _, message in logs)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = json.dumps({"got": json.loads(body), "token": self.headers["Authorization"]}).encode()
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Trace", "t1")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_request_outputs_feed_later_tasks(api, server):
    source = f"""\
id: http
namespace: acme
tasks:
  - id: call
    type: io.kestra.plugin.fs.http.Request
    uri: {server}/ok
    method: POST
    contentType: application/json
    headers:
      Authorization: "Bearer {{{{ execution.id }}}}"
    body: '{{"n": 1}}'
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ fromJson(outputs.call.body).got.n }}}} {{{{ outputs.call.headers['X-Trace'][0] }}}}"
  - id: down
    type: io.kestra.plugin.core.http.Request
    uri: {server}/down
    method: POST
    body: "{{}}"
"""
    execution, outputs, logs = run(api, source)
    assert execution.state == "FAILED"
    call = outputs["call"]
    assert call["code"] == 200 and call["uri"] == f"{server}/ok"
    assert json.loads(call["body"]) == {"got": {"n": 1}, "token": f"Bearer {execution.id}"}
    assert call["headers"]["X-Trace"] == ["t1"]
    assert outputs["read"] == {"value": "1 t1"}
    assert ("down", "ERROR", "Failed http request with response code '503'") in logs


SCRIPTS = """\
id: scripts
namespace: acme.data
inputs:
  - id: rows
    type: INT
    defaults: 3
tasks:
  - id: shell
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    namespaceFiles:
      enabled: true
    inputFiles:
      header.csv: "id,name\\n"
    outputFiles: ["*.csv"]
    env:
      DB_PASSWORD: "{{ secret('DB_PASSWORD') }}"
    commands:
      - cp header.csv out.csv
      - for i in $(seq 1 {{ inputs.rows }}); do echo "$i,row$i" >> out.csv; done
      - sh scripts/count.sh out.csv
      - echo "connecting with $DB_PASSWORD"
      - echo "database [${DATABASE_URL:-none}] key [${FLOWHUB_SECRET_KEY:-none}]"
      - |-
        echo '::{"outputs": {"rows": {{ inputs.rows }}, "file": "out.csv"}}::'
  - id: python
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.13-slim
    script: |
      import json, os
      with open(os.path.join(os.environ["OUTPUT_DIR"], "summary.json"), "w") as f:
          json.dump({"rows": {{ outputs.shell.vars.rows }}}, f)
      print("::" + json.dumps({"outputs": {"doubled": {{ outputs.shell.vars.rows }} * 2}}) + "::")
  - id: report
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.python.vars.doubled }} {{ outputs.shell.outputFiles['out.csv'] }}"
"""


def test_scripts_run_with_files_vars_and_output_files_and_no_server_secret(api, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://flowhub:server-password@db/flowhub")
    monkeypatch.setenv("FLOWHUB_SECRET_KEY", "server-signing-key")
    namespace_file_write(
        namespace="acme.data", path="/scripts/count.sh", content=ContentFile(b'wc -l < "$1"\n', name="count.sh")
    )
    secret = api.post("/api/v1/namespaces/acme/secrets", {"key": "DB_PASSWORD", "value": SECRET}, format="json")
    assert secret.status_code in (200, 201), secret.content

    execution, outputs, logs = run(api, SCRIPTS)
    assert execution.state == "SUCCESS", logs
    shell, python = outputs["shell"], outputs["python"]
    assert shell["vars"] == {"rows": 3, "file": "out.csv"}
    assert (shell["exitCode"], shell["stdOutLineCount"], shell["stdErrLineCount"]) == (0, 4, 0)
    assert stored(shell["outputFiles"]["out.csv"]) == b"id,name\n1,row1\n2,row2\n3,row3\n"
    assert shell["outputFiles"]["out.csv"].startswith(f"kestra:///acme/data/scripts/executions/{execution.id}/shell/")
    assert python["vars"] == {"doubled": 6}
    assert json.loads(stored(python["outputFiles"]["summary.json"])) == {"rows": 3}
    assert outputs["report"] == {"value": f"6 {shell['outputFiles']['out.csv']}"}

    assert ("shell", "INFO", "4") in logs  # the namespace file counted the lines
    assert ("shell", "INFO", "connecting with ****") in logs
    assert ("shell", "INFO", "database [none] key [none]") in logs
    assert (
        "python",
        "WARN",
        "flowhub runs this script as a local process, not in the container image 'python:3.13-slim'",
    ) in logs
    everything = json.dumps([logs, list(outputs.values())])
    for secret in (SECRET, "server-password", "server-signing-key"):
        assert secret not in everything


def test_a_failing_script_fails_the_execution_with_its_stderr_in_the_log(api):
    source = """\
id: failing
namespace: acme
tasks:
  - id: boom
    type: io.kestra.plugin.scripts.shell.Script
    script: |
      echo starting
      echo "disk full" >&2
      exit 3
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: never
"""
    execution, outputs, logs = run(api, source)
    assert execution.state == "FAILED"
    assert outputs["boom"] == {}
    assert "never" not in outputs
    assert ("boom", "INFO", "starting") in logs
    assert ("boom", "ERROR", "disk full") in logs
    assert ("boom", "ERROR", "Command failed with exit code 3:\ndisk full") in logs


def test_sleep_and_echo_run(api):
    source = """\
id: pause_a_bit
namespace: acme
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.1S
  - id: say
    type: io.kestra.core.tasks.debugs.Echo
    format: "slept in {{ flow.id }}"
    level: WARN
"""
    execution, outputs, logs = run(api, source)
    assert execution.state == "SUCCESS", logs
    assert outputs == {"nap": {}, "say": {}}
    assert logs == [("say", "WARN", "slept in pause_a_bit")]
