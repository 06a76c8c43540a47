import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from executions import executor, worker
from executions.models import Execution, LogEntry, TaskRun
from tests.engine.flows import HELLO, NOT_RUNNABLE_DETAIL, NOT_RUNNABLE_TASK

from .drive import run_to_end
from .helpers import YAML, assert_problem


@pytest.fixture
def hello(api):
    assert api.post("/api/v1/flows", HELLO, content_type=YAML).status_code == 200


def trigger(api, data=None, path="/api/v1/executions/acme.sales/hello", **extra):
    return api.post(path, data or {}, format="multipart", **extra)


def test_trigger_with_form_inputs_creates_a_created_execution_and_enqueues_after_commit(
    api, hello, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = trigger(api, {"name": "ada"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["namespace"], body["flowId"], body["flowRevision"]) == ("acme.sales", "hello", 1)
    assert body["state"]["current"] == "CREATED"
    assert body["inputs"] == {"name": "ada"}
    assert {"key": "team", "value": "sales"} in body["labels"]
    assert {"key": "system.correlationId", "value": body["id"]} in body["labels"]
    assert body["url"].endswith(f"/admin/executions/execution/{body['id']}/change/")
    assert len(body["id"]) == 22
    assert len(callbacks) == 1  # the advance message, sent only once the row is committed


def test_an_execution_runs_to_success_with_outputs_and_logs(api, hello):
    execution_id = trigger(api, {"name": "ada"}, path="/api/v1/main/executions/acme.sales/hello").json()["id"]
    run_to_end(execution_id)
    body = api.get(f"/api/v1/main/executions/{execution_id}").json()
    assert body["state"]["current"] == "SUCCESS"
    assert [h["state"] for h in body["state"]["histories"]] == ["CREATED", "RUNNING", "SUCCESS"]
    assert body["state"]["endDate"].endswith("Z") and body["state"]["duration"] >= 0
    runs = body["taskRunList"]
    assert [(r["taskId"], r["state"]["current"]) for r in runs] == [("greet", "SUCCESS"), ("answer", "SUCCESS")]
    assert [h["state"] for h in runs[0]["state"]["histories"]] == ["CREATED", "RUNNING", "SUCCESS"]
    assert runs[1]["outputs"] == {"value": "ADA"}
    assert body["outputs"] == {"shout": "ADA"}
    logs = api.get(f"/api/v1/logs/{execution_id}").json()
    assert [(log["taskId"], log["level"], log["message"]) for log in logs] == [("greet", "INFO", "Hello, ada!")]
    assert logs[0]["taskRunId"] == runs[0]["id"] and logs[0]["attemptNumber"] == 1


def test_defaults_fill_missing_inputs(api, hello):
    execution_id = trigger(api).json()["id"]
    assert run_to_end(execution_id).outputs == {"shout": "WORLD"}


FAILING = """\
id: broken
namespace: acme.sales
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: starting
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.missing.value }}"
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: unreachable
"""


def test_a_task_that_fails_fails_the_execution_with_the_error_logged(api):
    api.post("/api/v1/flows", FAILING, content_type=YAML)
    execution_id = trigger(api, path="/api/v1/executions/acme.sales/broken").json()["id"]
    run_to_end(execution_id)
    body = api.get(f"/api/v1/executions/{execution_id}").json()
    assert body["state"]["current"] == "FAILED"
    assert [(r["taskId"], r["state"]["current"]) for r in body["taskRunList"]] == [
        ("first", "SUCCESS"),
        ("ret", "FAILED"),
    ]
    errors = api.get(f"/api/v1/logs/{execution_id}?minLevel=ERROR").json()
    assert [(log["taskId"], log["level"]) for log in errors] == [("ret", "ERROR")]
    assert "outputs.missing.value" in errors[0]["message"] and "missing" in errors[0]["message"]
    assert len(api.get(f"/api/v1/logs/{execution_id}").json()) == 2


def test_log_filters(api, hello):
    api.post("/api/v1/flows", FAILING, content_type=YAML)
    execution_id = trigger(api, path="/api/v1/executions/acme.sales/broken").json()["id"]
    run_to_end(execution_id)
    assert [log["taskId"] for log in api.get(f"/api/v1/logs/{execution_id}?taskId=first").json()] == ["first"]
    assert api.get(f"/api/v1/logs/{execution_id}?attempt=2").json() == []
    assert_problem(api.get(f"/api/v1/logs/{execution_id}?minLevel=LOUD"), 400, "invalid-query-parameter")


def test_invalid_inputs_are_422_per_input_and_store_nothing(api):
    source = HELLO.replace("    type: STRING\n    defaults: world\n", "    type: INT\n    min: 1\n")
    api.post("/api/v1/flows", source, content_type=YAML)
    body = assert_problem(trigger(api, {"name": "zero"}), 422, "validation-failed")
    assert body["errors"] == [{"path": "inputs.name", "detail": "expected an integer, but received 'zero'"}]
    assert_problem(trigger(api), 422, "validation-failed")
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    ("query", "status", "slug"),
    [
        ("labels=novalue", 400, "invalid-query-parameter"),
        ("labels=system.secret:x", 422, "validation-failed"),
        ("revision=9", 404, "not-found"),
        ("revision=0", 400, "invalid-query-parameter"),
    ],
)
def test_bad_trigger_parameters_are_rejected(api, hello, query, status, slug):
    assert_problem(trigger(api, path=f"/api/v1/executions/acme.sales/hello?{query}"), status, slug)
    assert not Execution.objects.exists()


def test_labels_and_revision_parameters(api, hello):
    api.put("/api/v1/flows/acme.sales/hello", HELLO.replace("| upper", "| lower"), content_type=YAML)
    body = trigger(api, {"name": "Ada"}, path="/api/v1/executions/acme.sales/hello?labels=env:prod&revision=1").json()
    assert {"key": "env", "value": "prod"} in body["labels"]
    assert body["flowRevision"] == 1
    assert run_to_end(body["id"]).outputs == {"shout": "ADA"}


def test_unknown_flow_or_execution_is_404(api, hello):
    assert_problem(trigger(api, path="/api/v1/executions/acme.sales/nope"), 404, "not-found")
    assert_problem(api.get("/api/v1/executions/doesnotexist"), 404, "not-found")
    assert_problem(api.get("/api/v1/logs/doesnotexist"), 404, "not-found")


def test_a_disabled_flow_cannot_be_executed(api):
    api.post("/api/v1/flows", HELLO + "disabled: true\n", content_type=YAML)
    assert_problem(trigger(api), 409, "conflict")


def test_a_flow_using_what_flowhub_cannot_run_yet_saves_but_is_not_executed(api):
    source = HELLO.replace("tasks:\n", "tasks:\n" + NOT_RUNNABLE_TASK)
    assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200
    body = assert_problem(trigger(api), 409, "conflict")
    assert body["detail"] == "flow 'acme.sales.hello' uses what flowhub cannot run yet"
    assert body["errors"] == [
        {
            "path": "tasks[0].cache",
            "detail": NOT_RUNNABLE_DETAIL,
            "line": 15,
            "column": 12,
        }
    ]
    assert not Execution.objects.exists()


def test_trigger_requires_authentication(anonymous, api, hello):
    assert_problem(trigger(anonymous), 401, "unauthenticated")
    assert not Execution.objects.exists()


def test_a_duplicate_delivery_changes_nothing(api, hello):
    execution_id = trigger(api).json()["id"]
    executor.execution_advance(execution_id=execution_id)
    executor.execution_advance(execution_id=execution_id)  # redelivered advance
    (task_run,) = TaskRun.objects.filter(execution_id=execution_id)
    worker.task_run_execute(task_run_id=task_run.id, worker_id="w1")
    worker.task_run_execute(task_run_id=task_run.id, worker_id="w2")  # redelivered run_task
    task_run.refresh_from_db()
    assert (task_run.state, task_run.attempt, task_run.worker_id) == ("SUCCESS", 1, "w1")
    assert [entry["state"] for entry in task_run.state_history] == ["CREATED", "RUNNING", "SUCCESS"]
    assert LogEntry.objects.filter(execution_id=execution_id).count() == 1
    finished = run_to_end(execution_id)
    executor.execution_advance(execution_id=execution_id)  # after the end
    assert Execution.objects.get(pk=execution_id).state_history == finished.state_history


def test_a_failing_flow_output_fails_the_execution(api):
    source = HELLO.replace("{{ outputs.answer.value }}", "{{ outputs.answer.nope }}")
    api.post("/api/v1/flows", source, content_type=YAML)
    execution_id = trigger(api).json()["id"]
    assert run_to_end(execution_id).state == "FAILED"
    (error,) = api.get(f"/api/v1/logs/{execution_id}?minLevel=ERROR").json()
    assert error["message"].startswith("flow output 'shout' failed")
    assert "taskId" not in error


def test_reading_an_execution_takes_a_fixed_number_of_queries(api, hello, django_assert_num_queries):
    execution_id = trigger(api).json()["id"]
    run_to_end(execution_id)
    with django_assert_num_queries(3):  # user, execution + revision, task runs
        assert api.get(f"/api/v1/executions/{execution_id}").status_code == 200


def test_an_upload_past_the_limit_is_413_and_stores_nothing(api, hello, settings):
    settings.FLOWHUB_MAX_UPLOAD_BYTES = 1024
    upload = SimpleUploadedFile("big.bin", b"x" * 4096)
    body = assert_problem(trigger(api, {"name": "ada", "attachment": upload}), 413, "payload-too-large")
    assert "1024 bytes" in body["detail"]
    assert not Execution.objects.exists()


def test_a_form_past_the_body_limit_is_413(api, hello, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    assert_problem(trigger(api, {"name": "x" * 4096}), 413, "payload-too-large")
    assert not Execution.objects.exists()
