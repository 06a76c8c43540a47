"""The distributed mode: PostgreSQL, Redis, the web server and a celery worker as separate processes."""

import os
import signal
import time

import psycopg2
import pytest

from .conftest import running_task
from .quickstart import run_failing_flow, run_quickstart

pytestmark = pytest.mark.distributed


def test_quick_start_over_http_with_a_real_worker(stack):
    api, worker_log = stack
    execution = run_quickstart(api)
    assert "executions.run_task" in worker_log.read_text()
    assert execution["flowRevision"] == 1


def test_failing_flow_ends_failed_with_its_error_logged(stack):
    api, _ = stack
    run_failing_flow(api)


def test_errors_over_http(stack):
    api, _ = stack
    invalid = api.create_flow("id: x\nnamespace: acme\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Nope\n")
    assert invalid.status_code == 422
    assert invalid.headers["Content-Type"] == "application/problem+json"
    assert invalid.json()["errors"][0] == {
        "path": "tasks[0].type",
        "detail": "invalid type: unknown task type 'io.kestra.plugin.core.log.Nope'",
        "line": 5,
        "column": 11,
    }
    assert api.trigger("acme", "nope").status_code == 404
    anonymous = api.session.__class__()
    response = anonymous.get(f"{api.base}/flows/acme")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic")


def test_health_sees_postgres_and_redis(stack):
    api, _ = stack
    body = api.session.get(api.base.removesuffix("/api/v1") + "/health").json()
    assert body["status"] == "up"
    assert set(body["checks"]) == {"database", "broker", "storage"}


SLEEPER = """\
id: sleeper
namespace: acme
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT60S
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: never reached
"""


def test_killing_over_http_stops_the_running_task_within_a_heartbeat(stack, database_url):
    api, _ = stack
    assert api.create_flow(SLEEPER.replace("id: sleeper", "id: sleeper-to-kill")).status_code == 200
    execution_id = api.trigger("acme", "sleeper-to-kill").json()["id"]
    running_task(database_url, execution_id)
    started = time.monotonic()
    response = api.session.delete(f"{api.base}/executions/{execution_id}/kill")
    assert response.status_code == 202
    execution = api.wait_for_end(execution_id, timeout=30)
    assert time.monotonic() - started < 10  # the Sleep had 60 s to go
    assert execution["state"]["current"] == "KILLED"
    assert [(run["taskId"], run["state"]["current"]) for run in execution["taskRunList"]] == [("nap", "KILLED")]


def test_a_worker_killed_mid_task_is_noticed_and_the_execution_ends(stack, database_url):
    """SIGKILL the pool process running a task: within the lease and a reaper round, the attempt ends
    FAILED "worker lost", the execution FAILED, and the redelivered message does not run it again."""
    api, _ = stack
    assert api.create_flow(SLEEPER).status_code == 200
    execution_id = api.trigger("acme", "sleeper").json()["id"]
    worker_id = running_task(database_url, execution_id)
    os.kill(int(worker_id.rsplit(":", 1)[1]), signal.SIGKILL)

    execution = api.wait_for_end(execution_id, timeout=60)
    assert execution["state"]["current"] == "FAILED"
    (nap,) = execution["taskRunList"]
    assert (nap["taskId"], nap["state"]["current"]) == ("nap", "FAILED")
    assert [entry["state"] for entry in nap["state"]["histories"]] == ["CREATED", "RUNNING", "FAILED"]
    assert any(line["message"].startswith("worker lost") for line in api.logs(execution_id))
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT attempt FROM executions_taskrun WHERE execution_id = %s", [execution_id])
        assert cursor.fetchall() == [(1,)]  # claimed once: the redelivered message found it taken


def test_pause_at_the_next_task_boundary_and_resume_over_http(stack, database_url):
    api, _ = stack
    flow = SLEEPER.replace("id: sleeper", "id: sleeper-to-pause").replace("PT60S", "PT1S")
    assert api.create_flow(flow.replace("never reached", "after the pause")).status_code == 200
    execution_id = api.trigger("acme", "sleeper-to-pause").json()["id"]
    running_task(database_url, execution_id)
    assert api.session.post(f"{api.base}/executions/{execution_id}/pause").status_code == 204
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the Sleep ends; nothing starts after it
        execution = api.execution(execution_id)
        if [run["state"]["current"] for run in execution["taskRunList"]] == ["SUCCESS"]:
            break
        time.sleep(0.1)
    time.sleep(1)
    execution = api.execution(execution_id)
    assert execution["state"]["current"] == "PAUSED"
    assert [run["taskId"] for run in execution["taskRunList"]] == ["nap"]
    assert api.session.post(f"{api.base}/executions/{execution_id}/resume").status_code == 204
    resumed = api.wait_for_end(execution_id, timeout=30)
    assert resumed["state"]["current"] == "SUCCESS"
    assert [run["taskId"] for run in resumed["taskRunList"]] == ["nap", "after"]
