"""`kv()`, `secret()` and `read()` in a running flow; a secret's value shows nowhere once it is used."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from executions.models import Execution, LogEntry, TaskRun
from kv.models import KVEntry

from .drive import run_to_end
from .helpers import YAML

SECRET = "pa55-Word-Nobody-Knows"
FLOW = """\
id: uses_the_store
namespace: acme.sales.eu
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message:
      - "region {{ kv('region') }}, limit {{ kv('limits').daily }}, team {{ kv('team') }}"
      - "connecting with {{ secret('DB_PASSWORD') }}"
      - "missing is [{{ kv('nope', errorOnMissing=false) }}]"
      - "query: {{ read('sql/daily.sql') }}"
  - id: give
    type: io.kestra.plugin.core.debug.Return
    format: "{{ secret('DB_PASSWORD') }}:{{ kv('team', namespace='acme') }}"
outputs:
  - id: leaked
    type: STRING
    value: "{{ secret('DB_PASSWORD') | upper }} or {{ secret('DB_PASSWORD') }}"
"""


def test_kv_and_secret_work_in_tasks_and_the_secret_is_masked_everywhere(api):
    headers = {"content_type": "text/plain"}
    api.put("/api/v1/namespaces/acme.sales.eu/kv/region", "eu-west-1", **headers)
    api.put("/api/v1/namespaces/acme.sales.eu/kv/limits", '{"daily": 5}', **headers)
    api.put("/api/v1/namespaces/acme.sales/kv/team", "sales", **headers)  # inherited from the parent
    api.put("/api/v1/namespaces/acme/kv/team", "everyone", **headers)
    api.post("/api/v1/namespaces/acme.sales/secrets", {"key": "DB_PASSWORD", "value": SECRET}, format="json")
    query = SimpleUploadedFile("daily.sql", b"SELECT count(*) FROM orders")
    uploaded = api.post("/api/v1/namespaces/acme.sales.eu/files?path=/sql/daily.sql", {"fileContent": query})
    assert uploaded.status_code == 200, uploaded.content
    assert api.post("/api/v1/flows", FLOW, content_type=YAML).status_code == 200

    execution_id = api.post("/api/v1/executions/acme.sales.eu/uses_the_store", {}, format="multipart").json()["id"]
    execution = run_to_end(execution_id)
    assert execution.state == "SUCCESS", list(LogEntry.objects.values_list("message", flat=True))

    logs = api.get(f"/api/v1/logs/{execution_id}").json()
    assert [line["message"] for line in logs] == [
        "region eu-west-1, limit 5, team sales",
        "connecting with ****",
        "missing is []",
        "query: SELECT count(*) FROM orders",
    ]
    assert TaskRun.objects.get(task_id="give").outputs == {"value": "****:everyone"}
    # The upper-cased secret is not the secret: masking hides the value itself, as Kestra does.
    assert execution.outputs == {"leaked": f"{SECRET.upper()} or ****"}

    responses = [
        api.get(f"/api/v1/executions/{execution_id}"),
        api.get(f"/api/v1/logs/{execution_id}"),
        api.get("/api/v1/namespaces/acme.sales/secrets"),
        api.get("/api/v1/namespaces/acme.sales/secrets/DB_PASSWORD"),
    ]
    for response in responses:
        assert SECRET not in response.content.decode()
    stored = [
        *LogEntry.objects.values_list("message", flat=True),
        *(json.dumps(outputs) for outputs in TaskRun.objects.values_list("outputs", flat=True)),
        *(json.dumps(outputs) for outputs in Execution.objects.values_list("outputs", flat=True)),
        *(json.dumps(value) for value in KVEntry.objects.values_list("value", flat=True)),
    ]
    assert not [text for text in stored if SECRET in text]


def test_a_missing_key_or_secret_fails_the_task_saying_which(api):
    source = FLOW.replace("outputs:\n  - id: leaked\n    type: STRING\n", "").replace(
        "    value: \"{{ secret('DB_PASSWORD') | upper }} or {{ secret('DB_PASSWORD') }}\"\n", ""
    )
    api.post("/api/v1/flows", source, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.sales.eu/uses_the_store", {}, format="multipart").json()["id"]
    assert run_to_end(execution_id).state == "FAILED"
    (error,) = LogEntry.objects.filter(level="ERROR").values_list("message", flat=True)
    assert "No value found for key 'region' in namespace 'acme.sales.eu' or its parents" in error


READER = """\
id: reader
namespace: acme
inputs:
  - id: elsewhere
    type: STRING
    defaults: ""
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "written by {{ execution.id }}"
  - id: mine
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.write.uri) }}"
  - id: theirs
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.elsewhere) }}"
    runIf: "{{ inputs.elsewhere is not empty }}"
"""


def test_read_gives_a_file_of_the_execution_and_refuses_another_execution_s(api):
    assert api.post("/api/v1/flows", READER, content_type=YAML).status_code == 200
    first = run_to_end(api.post("/api/v1/executions/acme/reader").json()["id"])
    runs = {run.task_id: run for run in TaskRun.objects.filter(execution=first)}
    assert first.state == "SUCCESS"
    assert runs["mine"].outputs == {"value": f"written by {first.id}"}

    response = api.post("/api/v1/executions/acme/reader", {"elsewhere": runs["write"].outputs["uri"]})
    second = run_to_end(response.json()["id"])
    assert second.state == "FAILED"
    assert TaskRun.objects.get(execution=second, task_id="theirs").state == "FAILED"
    errors = LogEntry.objects.filter(execution=second, level="ERROR").values_list("message", flat=True)
    assert any(f"is not a file of execution {second.id}" in message for message in errors), list(errors)
