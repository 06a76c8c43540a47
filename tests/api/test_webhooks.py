"""Webhook triggers: `GET|POST|PUT /executions/webhook/{namespace}/{flowId}/{key}`, open to anyone with the key."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from executions.models import Execution, LogEntry, Trigger
from executions.webhooks import WebhookCall, webhook_answer, webhook_receive

from .drive import run_to_end
from .helpers import YAML, assert_problem
from .test_file_inputs import files_under

KEY = "4wjtkzwVGBM9yKnjm3yv8r"
HOOK = f"/api/v1/executions/webhook/acme.shop/orders/{KEY}"

ORDERS = f"""\
id: orders
namespace: acme.shop
labels:
  team: shop
inputs:
  - id: quantity
    type: INT
    defaults: 1
tasks:
  - id: received
    type: io.kestra.plugin.core.log.Log
    message: "order {{{{ trigger.body.orderId }}}} x{{{{ inputs.quantity }}}}
      from {{{{ trigger.headers['user-agent'][0] }}}} for {{{{ trigger.parameters.shop }}}}"
outputs:
  - id: order
    type: STRING
    value: "{{{{ trigger.body.orderId }}}}"
triggers:
  - id: shop
    type: io.kestra.plugin.core.trigger.Webhook
    key: {KEY}
    inputs:
      quantity: "{{{{ trigger.body.quantity ?? 1 }}}}"
    labels:
      order: "{{{{ trigger.body.orderId ?? 'none' }}}}"
"""


def save(api, source):
    """Create the flow, or update it when it exists."""
    response = api.post("/api/v1/flows", source, content_type=YAML)
    if response.status_code == 409:
        head = dict(line.split(": ", 1) for line in source.splitlines()[:2])  # `id:` and `namespace:`
        response = api.put(f"/api/v1/flows/{head['namespace']}/{head['id']}", source, content_type=YAML)
    assert response.status_code == 200, response.content


@pytest.fixture
def orders(api):
    save(api, ORDERS)


def hook_flow(trigger_lines: str, namespace="acme.shop", flow_id="hook", flow_lines="") -> str:
    return (
        f"id: {flow_id}\nnamespace: {namespace}\n{flow_lines}tasks:\n  - id: t\n"
        "    type: io.kestra.plugin.core.log.Log\n    message: hi\ntriggers:\n  - id: hook\n"
        "    type: io.kestra.plugin.core.trigger.Webhook\n" + trigger_lines
    )


def test_a_call_with_the_key_starts_an_execution_without_credentials(
    anonymous, orders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = anonymous.post(
            f"{HOOK}?shop=north&shop=south", {"orderId": 42, "quantity": 3}, format="json", HTTP_USER_AGENT="curl/8"
        )
    assert response.status_code == 200, response.content
    body = response.json()
    execution = Execution.objects.get(pk=body["id"])
    assert (body["tenantId"], body["namespace"], body["flowId"]) == ("main", "acme.shop", "orders")
    assert body["flowRevision"] == 1
    assert body["state"]["current"] == "CREATED"
    assert body["url"].endswith(f"/admin/executions/execution/{body['id']}/change/")
    assert "taskRunList" not in body and "inputs" not in body
    trigger = body["trigger"]
    assert (trigger["id"], trigger["type"]) == ("shop", "io.kestra.plugin.core.trigger.Webhook")
    assert trigger["variables"]["body"] == {"orderId": 42, "quantity": 3}
    assert trigger["variables"]["parameters"] == {"shop": ["north", "south"]}
    assert trigger["variables"]["headers"]["user-agent"] == ["curl/8"]
    assert trigger["variables"]["headers"]["content-type"] == ["application/json"]
    assert execution.trigger == trigger
    assert execution.inputs == {"quantity": 3}
    labels = {label["key"]: label["value"] for label in body["labels"]}
    assert labels == {"team": "shop", "system.from": "trigger", "order": "42", "system.correlationId": body["id"]}
    assert len(callbacks) == 1  # the advance message, once the execution is committed


def test_the_flow_sees_the_body_headers_and_parameters(anonymous, orders):
    response = anonymous.post(f"{HOOK}?shop=north", {"orderId": 7}, format="json", HTTP_USER_AGENT="shop/2")
    execution = run_to_end(response.json()["id"])
    assert execution.state == "SUCCESS" and execution.outputs == {"order": "7"}
    message = LogEntry.objects.get(execution=execution).message
    assert message == 'order 7 x1 from shop/2 for ["north"]'


@pytest.mark.parametrize("method", ["get", "put"])
@pytest.mark.parametrize("prefix", ["/api/v1", "/api/v1/main"])
def test_get_and_put_work_under_both_prefixes(anonymous, orders, method, prefix):
    path = f"{prefix}/executions/webhook/acme.shop/orders/{KEY}?orderId=9"
    response = getattr(anonymous, method)(path)
    assert response.status_code == 200, response.content
    variables = Execution.objects.get(pk=response.json()["id"]).trigger["variables"]
    assert variables["parameters"] == {"orderId": ["9"]} and "body" not in variables


def test_a_text_body_stays_text_and_a_binary_one_is_base64(anonymous, orders):
    text = anonymous.post(HOOK, "hello", content_type="text/plain")
    binary = anonymous.post(HOOK, b"\x00\x01", content_type="application/octet-stream")
    assert Execution.objects.get(pk=text.json()["id"]).trigger["variables"]["body"] == "hello"
    assert Execution.objects.get(pk=binary.json()["id"]).trigger["variables"]["body"] == "AAE="


def test_an_unknown_flow_and_a_wrong_key_answer_the_same_404(anonymous, orders):
    answers = [
        anonymous.post(HOOK[:-1], {}, format="json"),
        anonymous.post(f"/api/v1/executions/webhook/acme.shop/nothing/{KEY}", {}, format="json"),
        anonymous.post(f"/api/v1/executions/webhook/nowhere/orders/{KEY}", {}, format="json"),
        anonymous.post(f"{HOOK}/more/path", {}, format="json"),  # Kestra's Webhook takes no path after its key
    ]
    bodies = [assert_problem(answer, 404, "not-found") for answer in answers]
    assert {body["detail"] for body in bodies} == {"no webhook answers at this address"}
    assert not Execution.objects.exists()


def test_a_templated_key_is_rendered_with_the_namespace_s_secrets(api, anonymous):
    created = api.post("/api/v1/namespaces/acme.shop/secrets", {"key": "HOOK_KEY", "value": "s3cret"}, format="json")
    assert created.status_code in (200, 201), created.content
    save(api, hook_flow("    key: \"{{ secret('HOOK_KEY') }}\"\n"))
    assert anonymous.post("/api/v1/executions/webhook/acme.shop/hook/s3cret").status_code == 200
    assert_problem(anonymous.post("/api/v1/executions/webhook/acme.shop/hook/HOOK_KEY"), 404, "not-found")


def test_a_disabled_flow_answers_409_but_only_to_the_right_key(api, anonymous):
    save(api, hook_flow("    key: k1\n", flow_lines="disabled: true\n"))
    assert_problem(anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1"), 409, "conflict")
    assert_problem(anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k2"), 404, "not-found")
    assert not Execution.objects.exists()


def test_a_trigger_disabled_in_the_flow_or_by_a_person_answers_409(api, anonymous):
    save(api, hook_flow("    key: k1\n    disabled: true\n"))
    assert_problem(anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1"), 409, "conflict")
    save(api, hook_flow("    key: k1\n"))
    assert anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1").status_code == 200
    Trigger.objects.filter(namespace="acme.shop", flow_id="hook", trigger_id="hook").update(disabled=True)
    body = assert_problem(anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1"), 409, "conflict")
    assert "disabled" in body["detail"]
    assert Execution.objects.count() == 1


CONDITIONS = (
    "    key: k1\n    conditions:\n      - type: io.kestra.plugin.core.condition.Expression\n"
    '        expression: "{{ trigger.body.orderId is defined }}"\n'
    "      - type: io.kestra.plugin.core.condition.ExecutionLabels\n        labels: {team: shop}\n"
)


def test_conditions_that_do_not_hold_answer_204_and_start_nothing(api, anonymous):
    save(api, hook_flow(CONDITIONS, flow_lines="labels:\n  team: shop\n"))
    path = "/api/v1/executions/webhook/acme.shop/hook/k1"
    skipped = anonymous.post(path, {"other": 1}, format="json")
    assert skipped.status_code == 204 and skipped.content == b""
    assert not Execution.objects.exists()
    assert anonymous.post(path, {"orderId": 1}, format="json").status_code == 200


def test_a_label_that_renders_only_when_the_conditions_hold_does_not_turn_a_skipped_call_into_422(api, anonymous):
    label = '    labels:\n      order: "{{ trigger.body.orderId }}"\n'
    labelled = CONDITIONS.replace("    conditions:", label + "    conditions:")
    save(api, hook_flow(labelled, flow_lines="labels:\n  team: shop\n"))
    path = "/api/v1/executions/webhook/acme.shop/hook/k1"
    assert anonymous.post(path, {"other": 1}, format="json").status_code == 204
    assert not Execution.objects.exists()
    started = anonymous.post(path, {"orderId": 7}, format="json")
    assert started.status_code == 200, started.content
    assert {"key": "order", "value": "7"} in Execution.objects.get().labels


def test_a_condition_that_cannot_be_evaluated_counts_as_false(api, anonymous):
    broken = "    key: k1\n    conditions:\n      - type: io.kestra.plugin.core.condition.Expression\n"
    save(api, hook_flow(broken + '        expression: "{{ trigger.body.a.b.c }}"\n'))
    assert anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1", {"a": 1}, format="json").status_code == 204
    assert not Execution.objects.exists()


WORKDAYS = """\
    key: k1
    conditions:
      - type: io.kestra.plugin.core.condition.Not
        conditions:
          - type: io.kestra.plugin.core.condition.PublicHoliday
            date: "{{ trigger.body.day }}"
            country: FR
"""


def test_a_call_on_a_public_holiday_its_conditions_exclude_answers_204(api, anonymous):
    save(api, hook_flow(WORKDAYS))
    holiday = anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1", {"day": "2026-07-14"}, format="json")
    assert holiday.status_code == 204 and not Execution.objects.exists()
    workday = anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1", {"day": "2026-07-15"}, format="json")
    assert workday.status_code == 200
    assert Execution.objects.get().id == workday.json()["id"]


@pytest.mark.parametrize(
    ("condition", "path", "detail"),
    [
        (
            "      - type: io.kestra.plugin.core.condition.PublicHoliday\n        country: XX\n",
            "triggers[0].conditions[0].country",
            "unknown country 'XX'",
        ),
        (
            "      - type: io.kestra.plugin.core.condition.PublicHolidayCondition\n        country: US\n"
            "        subDivision: US-XY\n",
            "triggers[0].conditions[0].subDivision",
            "unknown subdivision 'US-XY' of US",
        ),
        (
            "      - id: m\n        type: io.kestra.plugin.core.condition.MultipleCondition\n"
            "        conditions: {a: {type: io.kestra.plugin.core.condition.Weekend}}\n",
            "triggers[0].conditions[0]",
            "a MultipleCondition can only be one of a Flow trigger's own conditions",
        ),
    ],
)
def test_an_unknown_country_or_subdivision_or_a_multiple_condition_is_refused_at_save(api, condition, path, detail):
    response = api.post("/api/v1/flows", hook_flow("    key: k1\n    conditions:\n" + condition), content_type=YAML)
    (error,) = assert_problem(response, 422, "invalid-entity")["errors"]
    assert error["path"] == path and detail in error["detail"]


def test_a_body_past_the_limit_answers_413_and_starts_nothing(anonymous, orders, settings):
    settings.FLOWHUB_WEBHOOK_MAX_BODY_BYTES = 16
    body = assert_problem(anonymous.post(HOOK, "x" * 17, content_type="text/plain"), 413, "payload-too-large")
    assert "16 bytes" in body["detail"]
    assert anonymous.post(HOOK, "x" * 16, content_type="text/plain").status_code == 200
    assert Execution.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "path", "detail"),
    [
        ({"quantity": "lots"}, "inputs.quantity", "lots"),  # the flow refuses what the input rendered to
        ({"quantity": {"a": 1}}, "inputs.quantity", ""),
    ],
)
def test_inputs_the_flow_refuses_answer_422_and_start_nothing(anonymous, orders, body, path, detail):
    problem = assert_problem(anonymous.post(HOOK, {"orderId": 1, **body}, format="json"), 422, "validation-failed")
    assert problem["errors"][0]["path"] == path and detail in problem["errors"][0]["detail"]
    assert not Execution.objects.exists()


def test_inputs_and_labels_that_do_not_render_answer_422_naming_them(api, anonymous):
    save(api, hook_flow('    key: k1\n    inputs:\n      n: "{{ trigger.body.missing.deeper }}"\n'))
    problem = assert_problem(anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1"), 422, "validation-failed")
    assert problem["errors"][0]["path"] == "inputs.n"
    save(api, hook_flow('    key: k1\n    labels:\n      who: "{{ trigger.body.who }}"\n'))
    problem = assert_problem(anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1"), 422, "validation-failed")
    assert problem["errors"][0]["path"] == "labels.who"
    assert not Execution.objects.exists()


def test_a_trigger_setting_system_labels_is_refused_when_the_flow_is_saved(api):
    source = hook_flow("    key: k1\n    labels:\n      system.restarted: 'true'\n")
    problem = assert_problem(api.post("/api/v1/flows", source, content_type=YAML), 422, "invalid-entity")
    (error,) = problem["errors"]
    assert error["path"].startswith("triggers[0].labels") and "system labels" in error["detail"], error


def test_a_retried_call_with_the_same_idempotency_key_answers_the_same_execution(anonymous, orders):
    first = anonymous.post(HOOK, {"orderId": 1}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    again = anonymous.post(HOOK, {"orderId": 1}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    other = anonymous.post(HOOK, {"orderId": 2}, format="json", HTTP_IDEMPOTENCY_KEY="order-2")
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    assert Execution.objects.count() == 2


def test_an_idempotency_key_too_long_answers_422(anonymous, orders):
    problem = assert_problem(anonymous.post(HOOK, HTTP_IDEMPOTENCY_KEY="k" * 256), 422, "validation-failed")
    assert problem["errors"][0]["path"] == "Idempotency-Key"
    assert not Execution.objects.exists()


def test_a_webhook_route_is_never_taken_for_another_executions_route(api, anonymous):
    # `executions/webhook/taskruns/hook/skip` also fits `executions/<id>/taskruns/<taskRunId>/skip`.
    save(api, hook_flow("    key: skip\n", namespace="taskruns"))
    assert anonymous.post("/api/v1/executions/webhook/taskruns/hook/skip").status_code == 200


def test_wait_answers_with_the_execution_as_it_is_when_it_does_not_end_in_time(api, anonymous, settings):
    settings.FLOWHUB_WEBHOOK_WAIT_SECONDS = 1
    save(api, hook_flow("    key: k1\n    wait: true\n"))
    response = anonymous.post("/api/v1/executions/webhook/acme.shop/hook/k1")
    assert response.status_code == 202
    assert response.json()["state"]["current"] == "CREATED"


RETURNS = """\
id: quote
namespace: acme.shop
tasks:
  - id: price
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.body.qty * 3 }}"
outputs:
  - id: price
    type: INT
    value: "{{ outputs.price.value }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k1
    wait: true
"""


def _answered(body: bytes):
    received = webhook_receive(
        namespace="acme.shop", flow_id="quote", call=WebhookCall(key="k1", body=body, content_type="application/json")
    )
    run_to_end(received.execution.id)
    return webhook_answer(received=received)


@pytest.mark.parametrize(
    ("lines", "status", "returns_outputs", "content_type"),
    [
        ("", 200, False, None),
        ("    returnOutputs: true\n", 200, True, None),
        (
            "    returnOutputs: true\n    responseCode: 201\n    responseContentType: text/plain\n",
            201,
            True,
            "text/plain",
        ),
        ('    returnOutputs: true\n    responseCode: "20{{ outputs.price.value }}"\n', 206, True, None),
        ("    responseCode: \"{{ 'not a number' }}\"\n", 200, False, None),
        ("    responseCode: 999\n", 200, False, None),
    ],
)
def test_wait_answers_once_the_execution_ended(api, lines, status, returns_outputs, content_type):
    save(api, RETURNS + lines)
    answer = _answered(b'{"qty": 2}')
    assert (answer.status, answer.content_type) == (status, content_type)
    if returns_outputs:
        assert answer.outputs == {"price": 6} and answer.execution is None
    else:
        assert answer.execution.state == "SUCCESS" and answer.outputs is None


def test_wait_answers_500_when_the_execution_failed(api):
    save(api, RETURNS.replace("qty * 3", "qty.nothing") + "    returnOutputs: true\n")
    answer = _answered(b'{"qty": 2}')
    assert (answer.status, answer.outputs) == (500, {})


UPLOADS = """\
id: uploads
namespace: acme.uploads
tasks:
  - id: report
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(trigger.parts[0].uri) }}from {{ trigger.formFields.sender[0] }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k1
"""
UPLOADS_HOOK = "/api/v1/executions/webhook/acme.uploads/uploads/k1"


def test_a_multipart_call_stores_its_files_and_the_flow_reads_them_and_sees_its_fields(api, anonymous):
    save(api, UPLOADS)
    upload = SimpleUploadedFile("sales 2024.csv", b"a,b\n1,2\n", content_type="text/csv")
    response = anonymous.post(UPLOADS_HOOK, {"sender": "north", "report": upload}, format="multipart")
    assert response.status_code == 200, response.content
    execution_id = response.json()["id"]
    variables = response.json()["trigger"]["variables"]
    uri = f"kestra:///acme/uploads/uploads/executions/{execution_id}/webhook/0/sales_2024.csv"
    part = {"name": "report", "filename": "sales 2024.csv", "contentType": "text/csv", "size": 8, "uri": uri}
    assert variables["parts"] == [part]
    assert variables["formFields"] == {"sender": ["north"]}
    assert "body" not in variables  # as Kestra: a multipart body is its parts and fields
    execution = run_to_end(execution_id)
    assert execution.state == "SUCCESS"
    assert execution.task_runs.get().outputs == {"value": "a,b\n1,2\nfrom north"}
    download = api.get(f"/api/v1/executions/{execution_id}/file", {"path": uri})
    assert b"".join(download.streaming_content) == b"a,b\n1,2\n"


def test_a_put_carries_its_form_as_a_post_does(api, anonymous):
    save(api, UPLOADS)
    upload = SimpleUploadedFile("r.txt", b"r")
    response = anonymous.put(UPLOADS_HOOK, {"sender": "west", "report": upload}, format="multipart")
    assert response.status_code == 200, response.content
    variables = response.json()["trigger"]["variables"]
    assert ([part["filename"] for part in variables["parts"]], variables["formFields"]) == (
        ["r.txt"],
        {"sender": ["west"]},
    )


def test_every_file_part_is_kept_even_under_the_same_name_and_repeated_fields_are_lists(api, anonymous):
    save(api, UPLOADS)
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n\r\none\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\ntwo!\r\n"
        b'--XX\r\nContent-Disposition: form-data; name="sender"\r\n\r\nnorth\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="sender"\r\n\r\nsouth\r\n--XX--\r\n'
    )
    response = anonymous.post(UPLOADS_HOOK, body, content_type="multipart/form-data; boundary=XX")
    assert response.status_code == 200, response.content
    execution_id = response.json()["id"]
    variables = response.json()["trigger"]["variables"]
    prefix = f"kestra:///acme/uploads/uploads/executions/{execution_id}/webhook"
    assert variables["parts"] == [
        {"name": "doc", "filename": "a.txt", "size": 3, "uri": f"{prefix}/0/a.txt"},  # no content type sent
        {"name": "doc", "filename": "a.txt", "contentType": "text/plain", "size": 4, "uri": f"{prefix}/1/a.txt"},
    ]
    assert variables["formFields"] == {"sender": ["north", "south"]}
    assert run_to_end(execution_id).task_runs.get().outputs == {"value": "onefrom north"}


def test_an_url_encoded_call_gives_its_text_as_the_body_and_its_fields(api, anonymous):
    save(api, UPLOADS)
    form = "sender=north&sender=south&note=two+words&empty="
    response = anonymous.post(UPLOADS_HOOK, form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    variables = response.json()["trigger"]["variables"]
    assert variables["body"] == form  # as Kestra: form-urlencoded is text, not parsed
    assert variables["formFields"] == {"sender": ["north", "south"], "note": ["two words"], "empty": [""]}
    assert "parts" not in variables


REFUSING = """\
id: uploads
namespace: acme.refusing
inputs:
  - id: copies
    type: INT
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k1
    inputs:
      copies: "{{ trigger.formFields.copies[0] }}"
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.formFields.go[0] == 'yes' }}"
"""


def test_a_refused_call_leaves_no_file_behind(api, anonymous):
    save(api, REFUSING)
    path = "/api/v1/executions/webhook/acme.refusing/uploads/k1"

    def call(url=path, idempotency_key="", **fields):
        form = {"copies": "1", "go": "yes", "file": SimpleUploadedFile("f.bin", b"data"), **fields}
        return anonymous.post(url, form, format="multipart", HTTP_IDEMPOTENCY_KEY=idempotency_key)

    first = call(idempotency_key="once")
    assert first.status_code == 200, first.content
    kept = files_under("acme/refusing/uploads/executions")
    assert kept == [f"acme/refusing/uploads/executions/{first.json()['id']}/webhook/0/f.bin"]
    assert call(idempotency_key="once").json()["id"] == first.json()["id"]  # an earlier call's execution
    assert call(go="no").status_code == 204  # the conditions do not hold
    assert_problem(call(copies="many"), 422, "validation-failed")  # the flow refuses the inputs
    assert_problem(call(url=path[:-1] + "2"), 404, "not-found")  # a wrong key
    Trigger.objects.filter(namespace="acme.refusing", flow_id="uploads").update(disabled=True)
    assert_problem(call(), 409, "conflict")
    assert Execution.objects.count() == 1
    assert files_under("acme/refusing") == kept


def test_a_multipart_body_past_the_limit_answers_413_and_stores_nothing(api, anonymous, settings):
    settings.FLOWHUB_WEBHOOK_MAX_BODY_BYTES = 1024
    save(api, UPLOADS.replace("acme.uploads", "acme.large"))
    upload = SimpleUploadedFile("big.bin", b"x" * 1024)
    response = anonymous.post("/api/v1/executions/webhook/acme.large/uploads/k1", {"f": upload}, format="multipart")
    assert "1024 bytes" in assert_problem(response, 413, "payload-too-large")["detail"]
    assert not Execution.objects.exists()
    assert files_under("acme/large") == []


def test_a_malformed_multipart_body_answers_422_and_starts_nothing(api, anonymous):
    save(api, UPLOADS)
    response = anonymous.post(UPLOADS_HOOK, b"--XX\r\n", content_type="multipart/form-data")  # no boundary
    assert "multipart" in assert_problem(response, 422, "invalid-request-body")["detail"]
    assert not Execution.objects.exists()
