"""Kestra's expression debugger: `POST /executions/{id}/eval/{taskRunId}` and `/eval` render a Pebble expression
in an execution as its tasks see it, mask the secrets it reads, reach only what both the caller and the flow may,
and are for editors of the execution's namespace."""

import pytest

from executions.models import TaskRun
from flowhub.api.parsers import MAX_EXPRESSION_BYTES

from .clients import member
from .drive import run_to_end
from .helpers import YAML, assert_problem

SECRET = "pa55-Word-Nobody-Knows"
FLOW = """\
id: debugged
namespace: acme
labels:
  team: data
inputs:
  - id: who
    type: STRING
    defaults: world
variables:
  greeting: hello
tasks:
  - id: make
    type: io.kestra.plugin.core.debug.Return
    format: "{{ vars.greeting }} {{ inputs.who }}"
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "item {{ taskrun.value }}"
"""
TEXT = "text/plain"


@pytest.fixture
def ended(api):
    """An ended execution of FLOW, saved and started by a superuser, with `who` = ada."""
    assert api.post("/api/v1/flows", FLOW, content_type=YAML).status_code == 200
    started = api.post("/api/v1/executions/acme/debugged", {"who": "ada"}, format="multipart")
    execution = run_to_end(started.json()["id"])
    assert execution.state == "SUCCESS"
    return execution


def run_of(execution, task_id: str, value: str | None = None) -> str:
    return TaskRun.objects.get(execution=execution, task_id=task_id, value=value).id


def evaluate(client, execution_id: str, expression: str, task_run_id: str | None = None, prefix="/api/v1"):
    path = f"{prefix}/executions/{execution_id}/eval" + (f"/{task_run_id}" if task_run_id else "")
    return client.post(path, expression, content_type=TEXT)


def result(response) -> str:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"result"}, body
    return body["result"]


@pytest.mark.parametrize("prefix", ["/api/v1", "/api/v1/main"])
def test_outputs_inputs_and_the_execution_render_as_the_task_run_sees_them(api, ended, prefix):
    make = run_of(ended, "make")
    expression = (
        "{{ outputs.make.value }}|{{ inputs.who }}|{{ execution.id }}|{{ execution.state }}|{{ task.id }}|"
        "{{ taskrun.id }}|{{ vars.greeting }}|{{ labels.team }}|{{ flow.id }}"
    )

    shown = result(evaluate(api, ended.id, expression, make, prefix))

    assert shown == f"hello ada|ada|{ended.id}|SUCCESS|make|{make}|hello|data|debugged"


def test_taskrun_value_is_that_of_the_loop_iteration_the_run_belongs_to(api, ended):
    for value in ("a", "b"):
        item = run_of(ended, "item", value)
        expression = "{{ taskrun.value }}|{{ outputs.item[taskrun.value].value }}"
        assert result(evaluate(api, ended.id, expression, item)) == f"{value}|item {value}"


def test_without_a_task_run_the_expression_sees_the_execution_but_no_task(api, ended):
    shown = result(evaluate(api, ended.id, "{{ outputs.make.value }} from {{ flow.namespace }}"))
    assert shown == "hello ada from acme"

    body = evaluate(api, ended.id, "{{ taskrun.value }}").json()
    assert "taskrun" in body["error"] and "result" not in body


def test_a_text_without_an_expression_is_itself(api, ended):
    assert result(evaluate(api, ended.id, "plain text")) == "plain text"


@pytest.mark.parametrize(
    "expression, error, cause",
    [
        ("{{ outputs.missing.value }}", "'missing'", "Caused by: UndefinedError: "),
        ("{{ 1 + }}", "invalid expression", "Caused by: TemplateSyntaxError: "),
        ("{{ 'x' | nosuchfilter }}", "nosuchfilter", "Caused by: TemplateSyntaxError: "),
    ],
)
def test_a_failing_expression_answers_its_error_and_causes_with_200(api, ended, expression, error, cause):
    response = evaluate(api, ended.id, expression, run_of(ended, "make"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"error", "stackTrace"}
    assert error in body["error"]
    first, *causes = body["stackTrace"].splitlines()
    assert first == f"TemplateError: {body['error']}"
    assert causes and causes[0].startswith(cause)
    assert 'File "' not in body["stackTrace"]  # no frame of the server's code


def test_the_sandbox_limits_hold(api, ended):
    body = evaluate(api, ended.id, "{{ range(0, 2000000) | length }}").json()
    assert "exceeds 1000000 items" in body["error"]

    body = evaluate(api, ended.id, "{{ ''.__class__ }}").json()
    assert "names starting with '__' are reserved" in body["error"]


def test_a_secret_is_masked_as_logs_mask_it(api, ended):
    api.post("/api/v1/namespaces/acme/secrets", {"key": "DB_PASSWORD", "value": SECRET}, format="json")

    shown = result(evaluate(api, ended.id, "password={{ secret('DB_PASSWORD') }}", run_of(ended, "make")))
    assert shown == "password=****"
    # In a failure's message too: the value is the key of a KV entry that does not exist.
    body = evaluate(api, ended.id, "{{ kv(secret('DB_PASSWORD')) }}").json()
    assert "****" in body["error"] and SECRET not in body["error"] + body["stackTrace"]
    # As in logs, only the value itself is masked: a transformed one shows, which is why only editors, who
    # could log it from a flow of their own, may evaluate expressions.
    assert result(evaluate(api, ended.id, "{{ secret('DB_PASSWORD') | upper }}")) == SECRET.upper()


def test_a_missing_secret_is_an_error(api, ended):
    body = evaluate(api, ended.id, "{{ secret('NOPE') }}").json()
    assert "NOPE" in body["error"]


def test_the_expression_reaches_no_namespace_its_caller_may_not(api, ended):
    api.put("/api/v1/namespaces/other/kv/token", "other's value", content_type=TEXT)
    editor = member("ed", {"acme": "editor"})
    expression = "{{ kv('token', namespace='other') }}"

    # The flow was saved by a superuser, so its tasks may read it; the caller may not.
    body = evaluate(editor, ended.id, expression).json()
    assert "may not reach namespace 'other'" in body["error"]
    assert "other's value" not in str(body)
    assert result(evaluate(api, ended.id, expression)) == "other's value"
    viewer_of_other = member("vo", {"acme": "editor", "other": "viewer"})
    assert result(evaluate(viewer_of_other, ended.id, expression)) == "other's value"


def test_nor_any_the_flow_may_not(api):
    api.put("/api/v1/namespaces/other/kv/token", "other's value", content_type=TEXT)
    saver = member("saver", {"acme": "editor"})
    assert saver.post("/api/v1/flows", FLOW, content_type=YAML).status_code == 200
    execution = run_to_end(saver.post("/api/v1/executions/acme/debugged", {}, format="multipart").json()["id"])

    body = evaluate(api, execution.id, "{{ kv('token', namespace='other') }}").json()

    assert "which 'saver', who saved revision 1, does not hold" in body["error"]


def test_its_own_namespace_and_parents_are_reached_as_by_any_flow(api, ended):
    api.put("/api/v1/namespaces/acme/kv/region", "eu", content_type=TEXT)
    editor = member("ed", {"acme": "editor"})

    assert result(evaluate(editor, ended.id, "{{ kv('region') }}")) == "eu"


@pytest.mark.parametrize("role, status", [("viewer", 403), ("executor", 403), ("editor", 200), ("admin", 200)])
def test_it_needs_the_editor_role_on_the_execution_namespace(api, ended, role, status):
    client = member(role, {"acme": role})
    make = run_of(ended, "make")

    for response in (evaluate(client, ended.id, "{{ inputs.who }}", make), evaluate(client, ended.id, "x")):
        assert response.status_code == status, response.content
    if status == 403:
        assert "editor role on namespace 'acme'" in response.json()["detail"]


def test_an_execution_out_of_sight_is_not_found(api, ended):
    outsider = member("outsider", {"other": "admin"})
    make = run_of(ended, "make")

    assert_problem(evaluate(outsider, ended.id, "{{ secret('X') }}", make), 404, "not-found")
    body = assert_problem(evaluate(outsider, ended.id, "{{ secret('X') }}"), 404, "not-found")
    assert body["detail"] == f"execution '{ended.id}' does not exist"


def test_unknown_execution_and_task_run_are_404_naming_them(api, ended):
    body = assert_problem(evaluate(api, "nope", "{{ 1 }}"), 404, "not-found")
    assert body["detail"] == "execution 'nope' does not exist"
    body = assert_problem(evaluate(api, "nope", "{{ 1 }}", "t"), 404, "not-found")
    assert body["detail"] == "execution 'nope' does not exist"

    body = assert_problem(evaluate(api, ended.id, "{{ 1 }}", "no-such-run"), 404, "not-found")
    assert body["detail"] == f"execution '{ended.id}' has no task run 'no-such-run'"


@pytest.mark.parametrize("expression", ["", "  \n"])
def test_an_empty_body_is_422_naming_it(api, ended, expression):
    body = assert_problem(evaluate(api, ended.id, expression, run_of(ended, "make")), 422, "validation-failed")
    assert [error["path"] for error in body["errors"]] == ["body"]


def test_no_body_at_all_is_422_naming_it(api, ended):
    body = assert_problem(api.post(f"/api/v1/executions/{ended.id}/eval"), 422, "validation-failed")
    assert [error["path"] for error in body["errors"]] == ["body"]


def test_an_oversized_expression_is_413(api, ended):
    expression = "{{ 1 }}" + " " * MAX_EXPRESSION_BYTES

    body = assert_problem(evaluate(api, ended.id, expression), 413, "payload-too-large")

    assert body["errors"] == [{"path": "body", "detail": f"at most {MAX_EXPRESSION_BYTES} bytes"}]
    assert result(evaluate(api, ended.id, expression[:MAX_EXPRESSION_BYTES])) == "1" + " " * (MAX_EXPRESSION_BYTES - 7)


def test_generated_clients_may_send_the_expression_as_bytes(api, ended):
    response = api.post(
        f"/api/v1/executions/{ended.id}/eval", b"{{ inputs.who }}", content_type="application/octet-stream"
    )
    assert result(response) == "ada"


def test_the_body_must_be_text(api, ended):
    response = api.post(f"/api/v1/executions/{ended.id}/eval", {"expression": "{{ 1 }}"}, format="json")
    assert_problem(response, 415, "unsupported-media-type")


def test_invalid_utf8_is_422(api, ended):
    response = api.post(f"/api/v1/executions/{ended.id}/eval", b"{{ '\xff' }}", content_type=TEXT)
    assert_problem(response, 422, "invalid-request-body")


def test_an_execution_still_running_is_evaluated_as_it_stands(api):
    assert api.post("/api/v1/flows", FLOW, content_type=YAML).status_code == 200
    created = api.post("/api/v1/executions/acme/debugged", {}, format="multipart").json()["id"]

    assert result(evaluate(api, created, "{{ execution.state }} {{ outputs | length }} {{ inputs.who }}")) == (
        "CREATED 0 world"
    )
