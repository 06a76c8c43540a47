"""Webhook and Flow triggers over HTTP with real workers: a webhook call's body, headers and parameters
reach the flow, and a multipart call's file a worker reads from storage; `b` runs after `a` succeeds
with `a`'s id and outputs; a burst of retried webhook calls creates one execution per Idempotency-Key."""

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
import requests

from .conftest import REDIS_ONLY

pytestmark = [pytest.mark.distributed, REDIS_ONLY]

KEY = "e2e-hook-key-3vQk9"

ORDERS = f"""\
id: orders
namespace: acme.e2e
tasks:
  - id: received
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ trigger.body.item }}}} x{{{{ trigger.body.quantity }}}}
      via {{{{ trigger.headers['x-shop'][0] }}}} for {{{{ trigger.parameters.region[0] }}}}"
outputs:
  - id: summary
    type: STRING
    value: "{{{{ outputs.received.value }}}}"
triggers:
  - id: shop
    type: io.kestra.plugin.core.trigger.Webhook
    key: {KEY}
"""

UPLOADS = """\
id: uploads
namespace: acme.e2e
tasks:
  - id: report
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(trigger.parts[0].uri) }} from {{ trigger.formFields.sender[0] }}"
outputs:
  - id: report
    type: STRING
    value: "{{ outputs.report.value }}"
triggers:
  - id: upload
    type: io.kestra.plugin.core.trigger.Webhook
    key: upload-key
"""

QUOTE = """\
id: quote
namespace: acme.e2e
tasks:
  - id: price
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.body.quantity * 3 }}"
outputs:
  - id: price
    type: INT
    value: "{{ outputs.price.value }}"
triggers:
  - id: ask
    type: io.kestra.plugin.core.trigger.Webhook
    key: quote-key
    wait: true
    returnOutputs: true
    responseCode: 201
"""

UPSTREAM = """\
id: a
namespace: acme.e2e
tasks:
  - id: count
    type: io.kestra.plugin.core.debug.Return
    format: "{{ 6 * 7 }}"
outputs:
  - id: answer
    type: INT
    value: "{{ outputs.count.value }}"
"""

DOWNSTREAM = """\
id: b
namespace: acme.e2e
inputs:
  - id: answer
    type: INT
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.executionId }}:{{ inputs.answer }}"
triggers:
  - id: after_a
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      answer: "{{ trigger.outputs.answer }}"
    preconditions:
      id: a_succeeded
      flows:
        - namespace: acme.e2e
          flowId: a
          states: [SUCCESS]
"""

BURST = """\
id: burst
namespace: acme.e2e
tasks:
  - id: noted
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body.n }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: burst-key
"""


def save(api, source):
    response = api.create_flow(source)
    assert response.status_code == 200, response.text


def hook_url(api, flow_id: str, key: str) -> str:
    return f"{api.base}/executions/webhook/acme.e2e/{flow_id}/{key}"


def outputs_of(execution, task_id):
    return next(run for run in execution["taskRunList"] if run["taskId"] == task_id)["outputs"]


def test_a_webhook_call_reaches_the_flow_with_its_body_headers_and_parameters(stack):
    api, _ = stack
    save(api, ORDERS)
    response = requests.post(  # no credentials: the key is the only one
        hook_url(api, "orders", KEY),
        params={"region": "eu"},
        json={"item": "tea", "quantity": 3},
        headers={"X-Shop": "north"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["trigger"]["variables"]["body"] == {"item": "tea", "quantity": 3}
    execution = api.wait_for_end(response.json()["id"])
    assert execution["state"]["current"] == "SUCCESS", execution
    assert execution["outputs"] == {"summary": "tea x3 via north for eu"}
    refused = requests.post(hook_url(api, "orders", KEY + "x"), json={}, timeout=30)
    assert refused.status_code == 404


def test_a_multipart_webhook_call_s_file_is_stored_and_read_by_the_flow(stack):
    api, _ = stack
    save(api, UPLOADS)
    files = {"report": ("sales.csv", b"a,b", "text/csv")}
    response = requests.post(hook_url(api, "uploads", "upload-key"), data={"sender": "north"}, files=files, timeout=30)
    assert response.status_code == 200, response.text
    (part,) = response.json()["trigger"]["variables"]["parts"]
    assert (part["filename"], part["contentType"], part["size"]) == ("sales.csv", "text/csv", 3)
    execution = api.wait_for_end(response.json()["id"])
    assert execution["state"]["current"] == "SUCCESS", execution
    assert execution["outputs"] == {"report": "a,b from north"}


def test_a_waiting_webhook_answers_the_flow_s_outputs(stack):
    api, _ = stack
    save(api, QUOTE)
    response = requests.post(hook_url(api, "quote", "quote-key"), json={"quantity": 4}, timeout=90)
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"price": 12}


def test_b_runs_after_a_succeeds_with_a_s_execution_id_and_outputs(stack, database_url):
    api, _ = stack
    save(api, UPSTREAM)
    save(api, DOWNSTREAM)
    a = api.wait_for_end(api.trigger("acme.e2e", "a").json()["id"])
    assert a["state"]["current"] == "SUCCESS" and a["outputs"] == {"answer": 42}
    b_id = _downstream_of(database_url, a["id"])
    b = api.wait_for_end(b_id)
    assert b["state"]["current"] == "SUCCESS", b
    assert b["trigger"]["variables"]["executionId"] == a["id"]
    assert b["trigger"]["variables"]["outputs"] == {"answer": 42}
    assert outputs_of(b, "echo") == {"value": f"{a['id']}:42"}


def _downstream_of(database_url: str, upstream_id: str) -> str:
    """The execution of `b` that `upstream_id`'s end started: in the transaction that ended it, so already there."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM executions_execution WHERE flow_id = 'b' AND trigger->'variables'->>'executionId' = %s",
            [upstream_id],
        )
        (found,) = cursor.fetchall()
    return str(found[0])


CALLS, KEYS, THREADS = 500, 50, 25


def test_a_burst_of_retried_webhook_calls_creates_one_execution_per_idempotency_key(stack, database_url):
    api, _ = stack
    save(api, BURST)
    url = hook_url(api, "burst", "burst-key")
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=THREADS))

    def call(number: int) -> tuple[str, int, str]:
        key = f"order-{number % KEYS}"
        response = session.post(url, json={"n": number}, headers={"Idempotency-Key": key}, timeout=60)
        return key, response.status_code, response.json().get("id", "") if response.ok else response.text

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(call, range(CALLS)))
    elapsed = time.monotonic() - started
    assert [status for _, status, _ in answers] == [200] * CALLS, [a for a in answers if a[1] != 200][:3]
    ids_by_key: dict[str, set[str]] = defaultdict(set)
    for key, _, execution_id in answers:
        ids_by_key[key].add(execution_id)
    assert len(ids_by_key) == KEYS
    assert all(len(ids) == 1 for ids in ids_by_key.values()), ids_by_key
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT idempotency_key, id FROM executions_execution WHERE namespace = %s AND flow_id = %s",
            ["acme.e2e", "burst"],
        )
        stored = dict(cursor.fetchall())
    assert len(stored) == KEYS
    assert stored == {key: ids.pop() for key, ids in ids_by_key.items()}
    print(f"\n{CALLS} webhook calls, {KEYS} keys, {THREADS} threads: {elapsed:.1f} s, {CALLS / elapsed:.0f} calls/s")
