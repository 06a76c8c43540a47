"""Starting executions over HTTP with real workers: a form with a FILE input, a JSON body, `wait=true`, and a
`scheduleDate` a few seconds ahead. PostgreSQL, a broker, the web server, a celery worker and the scheduler run
as separate processes."""

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import REDIS_ONLY

pytestmark = [pytest.mark.distributed, REDIS_ONLY]

READER = """\
id: reader
namespace: acme.e2e
inputs:
  - id: doc
    type: FILE
  - id: who
    type: STRING
tasks:
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.who }} sent: {{ read(inputs.doc) }}"
outputs:
  - id: seen
    type: STRING
    value: "{{ outputs.read.value }}"
"""

TYPED = """\
id: typed
namespace: acme.e2e
inputs:
  - id: count
    type: INT
  - id: config
    type: JSON
  - id: tags
    type: ARRAY
    itemType: STRING
tasks:
  - id: seen
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.count + 1 }} {{ inputs.config.region }} {{ inputs.tags | join('+') }}"
outputs:
  - id: seen
    type: STRING
    value: "{{ outputs.seen.value }}"
"""


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def flows(stack):
    api, _ = stack
    for source in (READER, TYPED):
        response = api.create_flow(source)
        assert response.status_code == 200, response.text
    return api


def test_a_form_with_a_file_input_runs_and_the_flow_reads_the_file(flows):
    api = flows
    response = api.start("acme.e2e", "reader", {"who": "Ada"}, files={"doc": "rows: 3\n"}, labels={"env": "e2e"})
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["inputs"]["doc"].startswith(f"kestra:///acme/e2e/reader/executions/{created['id']}/inputs/doc/")
    execution = api.wait_for_end(created["id"])
    assert execution["state"]["current"] == "SUCCESS", api.logs(created["id"])
    assert execution["outputs"] == {"seen": "Ada sent: rows: 3\n"}
    found = api.session.get(f"{api.base}/executions/search", params={"labels": "env:e2e"}).json()
    assert [item["id"] for item in found["results"]] == [created["id"]]


def test_a_json_body_runs_with_the_typed_inputs_the_flow_sees(flows):
    api = flows
    body = {"inputs": {"count": 41, "config": {"region": "eu"}, "tags": ["a", "b"]}}
    response = api.session.post(f"{api.base}/main/executions/acme.e2e/typed", json=body)
    assert response.status_code == 200, response.text
    execution = api.wait_for_end(response.json()["id"])
    assert execution["state"]["current"] == "SUCCESS", api.logs(execution["id"])
    assert execution["inputs"] == {"count": 41, "config": {"region": "eu"}, "tags": ["a", "b"]}
    assert execution["outputs"] == {"seen": "42 eu a+b"}


def test_wait_answers_the_ended_execution_with_its_outputs(flows):
    api = flows
    response = api.session.post(
        f"{api.base}/executions/acme.e2e/typed",
        params={"wait": "true", "waitTimeout": "60"},
        json={"count": 1, "config": '{"region": "us"}', "tags": '["x"]'},
        headers={"Idempotency-Key": "e2e-wait"},
    )
    assert response.status_code == 200, response.text
    execution = response.json()
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["outputs"] == {"seen": "2 us x"}
    assert execution["progress"] == {"total": 1, "done": 1, "percent": 100, "current": []}
    again = api.session.post(
        f"{api.base}/executions/acme.e2e/typed", json={"count": 5}, headers={"Idempotency-Key": "e2e-wait"}
    )
    assert again.json()["id"] == execution["id"]


def test_a_scheduled_execution_starts_once_its_date_has_come(flows):
    api = flows
    schedule_date = datetime.now(UTC) + timedelta(seconds=4)
    response = api.session.post(
        f"{api.base}/executions/acme.e2e/typed",
        params={"scheduleDate": schedule_date.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
        json={"count": 2, "config": {"region": "eu"}, "tags": []},
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["state"]["current"] == "CREATED"
    execution = api.wait_for_end(created["id"], timeout=60)
    assert execution["state"]["current"] == "SUCCESS", api.logs(created["id"])
    running = next(entry for entry in execution["state"]["histories"] if entry["state"] == "RUNNING")
    assert moment(running["date"]) >= schedule_date
    assert moment(execution["scheduleDate"]) == schedule_date
