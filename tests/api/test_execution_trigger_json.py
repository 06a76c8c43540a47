"""Starting executions beyond a plain form: JSON bodies, Idempotency-Key, scheduleDate, wait=true, and validating
inputs without starting anything."""

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from executions import executor, recovery
from executions.models import Execution
from tests.engine.flows import HELLO

from .broker import Broker
from .drive import run_to_end
from .helpers import YAML, assert_problem, nothing_else_swept
from .test_file_inputs import files_under

TYPED = """\
id: typed
namespace: acme.json
inputs:
  - id: count
    type: INT
  - id: loud
    type: BOOLEAN
    defaults: false
  - id: config
    type: JSON
    required: false
  - id: tags
    type: ARRAY
    itemType: STRING
    required: false
  - id: when
    type: DATETIME
    required: false
tasks:
  - id: seen
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.count + 1 }} {{ inputs.loud }} {{ inputs.config.region ?? '-' }} {{ inputs.tags | join('+') }}"
"""

WRAPPER_NAMED = """\
id: wrapped
namespace: acme.json
inputs:
  - id: inputs
    type: JSON
tasks:
  - id: seen
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.inputs.size }}"
"""

HELLO_PATH = "/api/v1/executions/acme.sales/hello"
TYPED_PATH = "/api/v1/executions/acme.json/typed"


@pytest.fixture
def flows(api):
    for source in (HELLO, TYPED, WRAPPER_NAMED):
        assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200


def test_a_json_body_wrapped_in_inputs_starts_an_execution_with_typed_inputs(api, flows):
    body = {"inputs": {"count": 41, "loud": True, "config": {"region": "eu"}, "tags": ["a", "b"]}}
    response = api.post(TYPED_PATH, body, format="json")
    assert response.status_code == 200, response.content
    created = response.json()
    assert created["state"]["current"] == "CREATED"
    assert created["inputs"] == {"count": 41, "loud": True, "config": {"region": "eu"}, "tags": ["a", "b"]}
    run_to_end(created["id"])
    seen = api.get(f"/api/v1/executions/{created['id']}").json()["taskRunList"][0]["outputs"]
    assert seen == {"value": "42 true eu a+b"}


def test_a_plain_json_map_is_the_inputs_themselves(api, flows):
    created = api.post(TYPED_PATH, {"count": "7", "tags": '["x"]'}, format="json").json()
    assert created["inputs"] == {"count": 7, "loud": False, "tags": ["x"]}


def test_a_flow_with_an_input_named_inputs_reads_a_body_with_only_that_key_as_a_plain_map(api, flows):
    created = api.post("/api/v1/executions/acme.json/wrapped", {"inputs": {"size": 3}}, format="json").json()
    assert created["inputs"] == {"inputs": {"size": 3}}
    run_to_end(created["id"])
    assert api.get(f"/api/v1/executions/{created['id']}").json()["taskRunList"][0]["outputs"] == {"value": "3"}


def test_a_body_with_inputs_beside_other_keys_is_a_plain_map(api, flows):
    created = api.post(TYPED_PATH, {"inputs": {"count": 1}, "count": 2}, format="json").json()
    assert created["inputs"]["count"] == 2


def test_labels_repeat_with_a_json_body(api, flows):
    created = api.post(f"{HELLO_PATH}?labels=env:prod&labels=team:data", {"name": "Ada"}, format="json").json()
    labels = {label["key"]: label["value"] for label in created["labels"]}
    assert (labels["env"], labels["team"], labels["system.correlationId"]) == ("prod", "data", created["id"])


def test_invalid_json_inputs_are_422_naming_each_and_create_nothing(api, flows):
    body = assert_problem(
        api.post(TYPED_PATH, {"count": "many", "loud": 3, "when": "2024-01-01"}, format="json"),
        422,
        "validation-failed",
    )
    assert [error["path"] for error in body["errors"]] == ["inputs.count", "inputs.loud", "inputs.when"]
    assert_problem(api.post(TYPED_PATH, {}, format="json"), 422, "validation-failed")  # count is required
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ('["count", 1]', "validation-failed"),
        ('"count"', "validation-failed"),
        ('{"count": ', "invalid-request-body"),
        ('{"count": NaN}', "invalid-request-body"),
        ('{"count": 1', "invalid-request-body"),
    ],
)
def test_a_json_body_that_is_not_an_object_of_inputs_is_422(api, flows, raw, slug):
    body = assert_problem(api.post(TYPED_PATH, raw, content_type="application/json"), 422, slug)
    if slug == "validation-failed":
        assert body["errors"] == [{"path": "$", "detail": "expected a JSON object"}]
    assert not Execution.objects.exists()


def test_a_json_body_past_the_limit_is_413(api, flows, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    assert_problem(api.post(HELLO_PATH, {"name": "x" * 2048}, format="json"), 413, "payload-too-large")
    assert not Execution.objects.exists()


def test_a_disabled_flow_is_409_for_json_too(api):
    api.post("/api/v1/flows", HELLO + "disabled: true\n", content_type=YAML)
    assert_problem(api.post(HELLO_PATH, {"inputs": {"name": "x"}}, format="json"), 409, "conflict")
    assert not Execution.objects.exists()


def test_a_repeated_idempotency_key_answers_the_first_execution(api, flows):
    first = api.post(HELLO_PATH, {"name": "Ada"}, format="json", HTTP_IDEMPOTENCY_KEY="order-42").json()
    again = api.post(HELLO_PATH, {"name": "Bob"}, format="json", HTTP_IDEMPOTENCY_KEY="order-42").json()
    legacy = api.post(
        "/api/v1/executions/trigger/acme.sales/hello", {}, format="multipart", HTTP_IDEMPOTENCY_KEY="order-42"
    ).json()
    assert first["id"] == again["id"] == legacy["id"]
    assert again["inputs"] == {"name": "Ada"}
    other_flow = api.post(TYPED_PATH, {"count": 1}, format="json", HTTP_IDEMPOTENCY_KEY="order-42").json()
    another_key = api.post(HELLO_PATH, {}, format="json", HTTP_IDEMPOTENCY_KEY="order-43").json()
    assert len({first["id"], other_flow["id"], another_key["id"]}) == 3
    assert Execution.objects.count() == 3


def test_a_repeated_idempotency_key_stores_no_second_upload(api):
    source = HELLO.replace("variables:", "  - id: doc\n    type: FILE\n    required: false\nvariables:")
    api.post("/api/v1/flows", source, content_type=YAML)
    for content in (b"first", b"second"):
        upload = SimpleUploadedFile("doc.txt", content)
        response = api.post(HELLO_PATH, {"doc": upload}, format="multipart", HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == 200
    (execution,) = Execution.objects.all()
    assert files_under(f"acme/sales/hello/executions/{execution.id}") == [
        f"acme/sales/hello/executions/{execution.id}/inputs/doc/doc.txt"
    ]


def test_an_idempotency_key_longer_than_255_characters_is_422(api, flows):
    body = assert_problem(
        api.post(HELLO_PATH, {}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256), 422, "validation-failed"
    )
    assert body["errors"][0]["path"] == "Idempotency-Key"
    assert not Execution.objects.exists()


@pytest.fixture
def broker(django_capture_on_commit_callbacks):
    return Broker(django_capture_on_commit_callbacks)


def schedule(api, broker, ahead: timedelta) -> dict:
    moment = (timezone.now() + ahead).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with broker.capture(execute=True):
        response = api.post(f"{HELLO_PATH}?scheduleDate={moment}", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_scheduled_execution_stays_created_until_its_date_and_the_executor_does_not_start_it_early(
    api, flows, broker
):
    created = schedule(api, broker, timedelta(seconds=20))
    assert created["state"]["current"] == "CREATED" and created["scheduleDate"].endswith("Z")
    ((message_id, eta),) = broker.messages("executions.advance")
    assert message_id == created["id"]
    due = datetime.fromisoformat(eta)
    assert timedelta(seconds=15) < due - timezone.now() <= timedelta(seconds=20)  # a countdown, not at once
    with broker.capture(execute=True):
        executor.execution_advance(execution_id=created["id"])  # a message that came early
    assert Execution.objects.get(pk=created["id"]).state == "CREATED"
    ((_, again),) = broker.messages("executions.advance")  # it sent itself again for the rest of the wait
    assert datetime.fromisoformat(again) - due < timedelta(seconds=1)
    Execution.objects.filter(pk=created["id"]).update(schedule_date=timezone.now())
    assert run_to_end(created["id"]).state == "SUCCESS"


def test_a_far_scheduled_execution_is_left_to_the_sweep_which_starts_it_once_due(api, flows, broker):
    created = schedule(api, broker, timedelta(hours=1))
    assert broker.messages("executions.advance") == []  # no hour-long message in a worker
    later = timezone.now() + timedelta(minutes=30)
    assert recovery.executions_sweep(now=later) == nothing_else_swept()
    assert broker.sent("executions.advance") == []
    assert recovery.executions_sweep(now=timezone.now() + timedelta(hours=1, seconds=1)) == nothing_else_swept(
        executions=1
    )
    assert broker.sent("executions.advance") == [created["id"]]


def test_a_schedule_date_in_the_past_starts_at_once(api, flows, broker):
    created = schedule(api, broker, -timedelta(minutes=5))
    assert broker.messages("executions.advance") == [(created["id"], None)]


def test_a_scheduled_execution_can_be_killed_before_it_starts(api, flows, broker):
    created = schedule(api, broker, timedelta(hours=1))
    assert api.delete(f"/api/v1/executions/{created['id']}/kill").status_code == 202
    assert Execution.objects.get(pk=created["id"]).state == "KILLED"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("scheduleDate=tomorrow", "scheduleDate"),
        ("scheduleDate=2030-01-01T10:00:00", "scheduleDate"),  # no time zone
        ("waitTimeout=0", "waitTimeout"),
        ("waitTimeout=abc", "waitTimeout"),
        ("wait=true&waitTimeout=301", "waitTimeout"),
        ("wait=maybe", "wait"),
        ("labels=novalue", "labels"),
    ],
)
def test_bad_trigger_parameters_are_400_naming_the_parameter(api, flows, query, field):
    body = assert_problem(api.post(f"{HELLO_PATH}?{query}", {}, format="json"), 400, "invalid-query-parameter")
    assert body["errors"][0]["path"].split(".")[0] == field
    assert not Execution.objects.exists()


def test_wait_answers_202_with_the_execution_as_it_stands_when_it_has_not_ended_in_time(api, flows):
    response = api.post(f"{HELLO_PATH}?wait=true&waitTimeout=0.2", {}, format="json")
    assert response.status_code == 202
    assert response.json()["state"]["current"] == "CREATED"


def test_wait_answers_an_execution_that_has_ended_with_its_outputs(api, flows):
    first = api.post(HELLO_PATH, {"name": "Ada"}, format="json", HTTP_IDEMPOTENCY_KEY="once").json()
    run_to_end(first["id"])
    response = api.post(f"{HELLO_PATH}?wait=true", {}, format="json", HTTP_IDEMPOTENCY_KEY="once")
    assert response.status_code == 200
    ended = response.json()
    assert (ended["id"], ended["state"]["current"], ended["outputs"]) == (first["id"], "SUCCESS", {"shout": "ADA"})
    assert ended["progress"] == {"total": 2, "done": 2, "percent": 100, "current": []}


def test_validate_answers_each_input_with_its_value_and_creates_nothing(api, flows):
    response = api.post("/api/v1/executions/acme.json/typed/validate", {"count": "2", "tags": '["a"]'},
                        format="multipart")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["namespace"], body["checks"]) == ("typed", "acme.json", [])
    values = {item["input"]["id"]: item.get("value") for item in body["inputs"]}
    assert values == {"count": 2, "loud": False, "config": None, "tags": ["a"], "when": None}
    assert all(item["errors"] == [] for item in body["inputs"])
    assert not Execution.objects.exists()


def test_validate_refuses_bad_inputs_naming_each_and_removes_the_uploads_it_checked(api):
    source = HELLO.replace("variables:", "  - id: doc\n    type: FILE\n  - id: size\n    type: INT\nvariables:")
    api.post("/api/v1/flows", source, content_type=YAML)
    before = files_under("acme/sales/hello")  # what other tests left in the shared storage
    upload = SimpleUploadedFile("doc.txt", b"content")
    path = "/api/v1/executions/acme.sales/hello/validate"
    body = assert_problem(api.post(path, {"doc": upload, "size": "big"}, format="multipart"), 422, "validation-failed")
    assert [error["path"] for error in body["errors"]] == ["inputs.size"]
    ok = api.post(path, {"doc": SimpleUploadedFile("doc.txt", b"x"), "size": "1"}, format="multipart").json()
    assert {item["input"]["id"]: item.get("value") for item in ok["inputs"]} == {
        "name": "world",
        "doc": None,
        "size": 1,
    }
    assert files_under("acme/sales/hello") == before
    assert not Execution.objects.exists()


def test_validate_of_an_unknown_or_disabled_flow(api):
    assert_problem(api.post("/api/v1/executions/acme.sales/nope/validate", {}, format="json"), 404, "not-found")
    api.post("/api/v1/flows", HELLO + "disabled: true\n", content_type=YAML)
    assert_problem(api.post("/api/v1/executions/acme.sales/hello/validate", {}, format="json"), 409, "conflict")
    assert_problem(
        api.post("/api/v1/executions/acme.sales/hello/validate?revision=0", {}, format="json"),
        400,
        "invalid-query-parameter",
    )
