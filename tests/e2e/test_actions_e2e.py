"""Restart, replay, skip and kill over HTTP with real workers: PostgreSQL, a broker, the web server, a celery
worker and the scheduler as separate processes."""

import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from .conftest import running_task

pytestmark = pytest.mark.distributed

GATED = """\
id: gated
namespace: acme
tasks:
  - id: before
    type: io.kestra.plugin.core.debug.Return
    format: "{{ execution.id }}"
  - id: gate
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - test "{{ kv('gate-key', errorOnMissing=false) }}" = open
"""

RELAY = """\
id: relay
namespace: acme
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "{{ execution.id }}"
  - id: second
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.first.value }} then {{ execution.id }}"
"""

NAPPER = """\
id: napper
namespace: acme
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT60S
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: awake
"""

SCRIPTED = """\
id: scripted
namespace: acme
tasks:
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo $$ > {pid_file}
      - sleep 60
"""


RETRIED_FLOW = """\
id: retried
namespace: acme
retry:
  type: constant
  interval: PT1S
  maxAttempt: 2
tasks:
  - id: gate
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ taskrun.attemptsCount < 1 }}"
"""


def states(execution: dict) -> dict[str, str]:
    return {run["taskId"]: run["state"]["current"] for run in execution["taskRunList"]}


def test_a_failed_execution_restarted_over_http_succeeds_once_what_it_needs_is_there(stack):
    api, _ = stack
    assert api.create_flow(GATED).status_code == 200
    failed = api.wait_for_end(api.trigger("acme", "gated").json()["id"])
    assert failed["state"]["current"] == "FAILED" and states(failed) == {"before": "SUCCESS", "gate": "FAILED"}
    opened = api.session.put(
        f"{api.base}/namespaces/acme/kv/gate-key", data="open", headers={"Content-Type": "text/plain"}
    )
    assert opened.status_code in (200, 201, 204), opened.text

    response = api.session.post(f"{api.base}/executions/{failed['id']}/restart")
    assert response.status_code == 200, response.text
    assert response.json()["state"]["current"] == "RESTARTED"
    restarted = api.wait_for_end(failed["id"])
    assert restarted["state"]["current"] == "SUCCESS"
    assert restarted["metadata"]["attemptNumber"] == 2
    gate = next(run for run in restarted["taskRunList"] if run["taskId"] == "gate")
    assert [entry["state"] for entry in gate["state"]["histories"]] == [
        "CREATED", "RUNNING", "FAILED", "RESTARTED", "RUNNING", "SUCCESS",
    ]  # fmt: skip
    before = next(run for run in restarted["taskRunList"] if run["taskId"] == "before")
    assert before["outputs"] == {"value": failed["id"]}


def test_a_replay_from_a_task_run_over_http_reuses_the_outputs_before_it(stack):
    api, _ = stack
    assert api.create_flow(RELAY).status_code == 200
    source = api.wait_for_end(api.trigger("acme", "relay").json()["id"])
    assert source["state"]["current"] == "SUCCESS"
    second = next(run for run in source["taskRunList"] if run["taskId"] == "second")

    response = api.session.post(
        f"{api.base}/main/executions/{source['id']}/actions/replay", params={"taskRunId": second["id"]}
    )
    assert response.status_code == 200, response.text
    replay = api.wait_for_end(response.json()["id"])
    assert replay["id"] != source["id"] and replay["originalId"] == source["id"]
    assert replay["state"]["current"] == "SUCCESS"
    outputs = {run["taskId"]: run["outputs"] for run in replay["taskRunList"]}
    assert outputs == {
        "first": {"value": source["id"]},  # reused, not run again
        "second": {"value": f"{source['id']} then {replay['id']}"},
    }
    labels = {label["key"]: label["value"] for label in api.execution(source["id"])["labels"]}
    assert labels["system.replayed"] == "true"


def test_skipping_a_running_sleep_over_http_lets_the_flow_go_on(stack, database_url):
    api, _ = stack
    assert api.create_flow(NAPPER).status_code == 200
    execution_id = api.trigger("acme", "napper").json()["id"]
    running_task(database_url, execution_id)
    nap = next(run for run in api.execution(execution_id)["taskRunList"] if run["taskId"] == "nap")
    started = time.monotonic()
    response = api.session.post(f"{api.base}/executions/{execution_id}/taskruns/{nap['id']}/skip")
    assert response.status_code == 200, response.text
    execution = api.wait_for_end(execution_id, timeout=30)
    assert time.monotonic() - started < 15  # the Sleep had 60 s to go
    assert execution["state"]["current"] == "SUCCESS"
    assert states(execution) == {"nap": "SKIPPED", "after": "SUCCESS"}


def test_a_flow_retry_restarts_a_failed_execution_by_itself(stack):
    api, _ = stack
    assert api.create_flow(RETRIED_FLOW).status_code == 200
    execution = api.wait_for_end(api.trigger("acme", "retried").json()["id"], timeout=60)
    assert execution["state"]["current"] == "SUCCESS", (execution, api.logs(execution["id"]))
    assert [entry["state"] for entry in execution["state"]["histories"]] == [
        "CREATED", "RUNNING", "RETRYING", "RESTARTED", "RUNNING", "SUCCESS",
    ]  # fmt: skip
    assert execution["metadata"]["attemptNumber"] == 2


def test_killing_a_running_script_terminates_its_process_group_within_five_seconds(stack, database_url):
    api, _ = stack
    pid_file = Path(tempfile.gettempdir()) / f"flowhub-e2e-{uuid.uuid4().hex}.pid"
    assert api.create_flow(SCRIPTED.format(pid_file=pid_file)).status_code == 200
    execution_id = api.trigger("acme", "scripted").json()["id"]
    running_task(database_url, execution_id)
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the script never started"
        time.sleep(0.05)
    group = int(pid_file.read_text())

    killed_at = time.monotonic()
    assert api.session.delete(f"{api.base}/executions/{execution_id}/kill").status_code == 202
    while group_alive(group):
        assert time.monotonic() - killed_at < 5, "the script's process group outlived the kill by 5 s"
        time.sleep(0.05)
    assert api.wait_for_end(execution_id, timeout=30)["state"]["current"] == "KILLED"
    pid_file.unlink()


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
