"""The Pause task over HTTP with real processes: resumed with an input, or resuming by itself."""

import time

import pytest

from .conftest import REDIS_ONLY

pytestmark = [pytest.mark.distributed, REDIS_ONLY]

APPROVAL = """\
id: approval
namespace: acme.pauses
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: reason
        type: STRING
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "approved: {{ outputs.wait.onResume.reason }}"
"""

SHORT = """\
id: short
namespace: acme.pauses
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT1S
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed by itself
"""


def wait_until_paused(api, execution_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = api.execution(execution_id)
        if execution["state"]["current"] == "PAUSED":
            return execution
        time.sleep(0.1)
    raise AssertionError(f"execution {execution_id} never paused: {execution['state']['current']}")


def test_a_pause_resumed_over_http_with_an_input_hands_it_to_the_next_task(stack):
    api, _ = stack
    assert api.create_flow(APPROVAL).status_code == 200
    execution_id = api.trigger("acme.pauses", "approval").json()["id"]
    paused = wait_until_paused(api, execution_id)
    assert [(run["taskId"], run["state"]["current"]) for run in paused["taskRunList"]] == [("wait", "PAUSED")]
    refused = api.session.post(f"{api.base}/executions/{execution_id}/resume", files={"other": (None, "x")})
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "inputs.reason"

    resumed = api.session.post(f"{api.base}/executions/{execution_id}/resume", files={"reason": (None, "budget ok")})
    assert resumed.status_code == 204, resumed.text
    execution = api.wait_for_end(execution_id)
    assert execution["state"]["current"] == "SUCCESS"
    after = next(run for run in execution["taskRunList"] if run["taskId"] == "after")
    assert after["outputs"] == {"value": "approved: budget ok"}


def test_a_pause_with_a_duration_resumes_by_itself(stack):
    api, worker_log = stack
    assert api.create_flow(SHORT).status_code == 200
    execution_id = api.trigger("acme.pauses", "short").json()["id"]
    wait_until_paused(api, execution_id)
    execution = api.wait_for_end(execution_id, timeout=40)  # its own message, else a sweep (every 10 s)
    assert execution["state"]["current"] == "SUCCESS"
    assert [(run["taskId"], run["state"]["current"]) for run in execution["taskRunList"]] == [
        ("wait", "SUCCESS"),
        ("after", "SUCCESS"),
    ]
    history = [entry["state"] for entry in execution["state"]["histories"]]
    assert history == ["CREATED", "RUNNING", "PAUSED", "RUNNING", "SUCCESS"]
    assert "executions.pause_end" in worker_log.read_text()  # a short pause sends a message to end it on time
