"""The distributed mode: PostgreSQL, Redis, the web server and a celery worker as separate processes."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

import psycopg2
import pytest
import redis

from tests import services

from .processes import base_env, free_port, manage, start, stop, wait_until_healthy
from .quickstart import Api, run_failing_flow, run_quickstart

pytestmark = pytest.mark.distributed


def require(*names: str) -> None:
    if down := services.missing(*names):
        reason = f"needs {', '.join(names)}; not available: {', '.join(down)}"
        if services.in_ci():
            pytest.fail(reason)
        pytest.skip(reason)


def process_number() -> int:
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


@pytest.fixture(scope="module", params=["redis", "amqp"])
def broker_url(request):
    """An empty broker of this test process's own: a Redis database, or a RabbitMQ virtual host."""
    if request.param == "redis":
        require("PostgreSQL", "Redis")
        url = f"{services.REDIS_URL}/{10 + process_number()}"
        redis.Redis.from_url(url).flushdb()
        return url
    require("PostgreSQL", "RabbitMQ")
    vhost = f"flowhub-test-{process_number()}"
    rabbitmqctl = shutil.which("rabbitmqctl") or "rabbitmqctl"
    subprocess.run([rabbitmqctl, "delete_vhost", vhost], capture_output=True, timeout=60)
    for command in (["add_vhost", vhost], ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]):
        subprocess.run([rabbitmqctl, *command], capture_output=True, timeout=60, check=True)
    return f"{services.RABBITMQ_URL}/{vhost}"


@pytest.fixture(scope="module")
def database_url(broker_url):
    """A fresh PostgreSQL database for one stack, migrated by the stack itself, dropped afterwards."""
    name = f"flowhub_e2e_{process_number()}"
    server = urlsplit(services.POSTGRES_URL)
    admin = psycopg2.connect(server._replace(path="/postgres").geturl())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield server._replace(path=f"/{name}").geturl()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def stack(broker_url, database_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("distributed")
    env = base_env(
        directory / "data",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        FLOWHUB_ADMIN_USER="operator",
        FLOWHUB_ADMIN_PASSWORD="operator-pw",
        FLOWHUB_TASK_LEASE_SECONDS="6",  # a lost worker is noticed within 6 s and a reaper round (10 s)
    )
    manage("migrate", "--noinput", env=env)
    manage("ensure_admin", env=env)
    port = free_port()
    web_log, worker_log = directory / "web.log", directory / "worker.log"
    web = start(
        [sys.executable, "-m", "uvicorn", "flowhub.asgi:application", "--port", str(port), "--workers", "2"],
        env,
        web_log,
    )
    worker = start(
        [
            sys.executable, "-m", "celery", "-A", "flowhub", "worker", "--queues", "executor,worker",
            "--concurrency", "2", "--hostname", f"e2e-{uuid.uuid4().hex[:8]}@%h", "--loglevel", "INFO",
        ],
        env,
        worker_log,
    )  # fmt: skip
    # The scheduler too: its reaper is what notices a worker that died.
    beat = start(
        [sys.executable, "-m", "celery", "-A", "flowhub", "beat", "--schedule", str(directory / "beat-schedule")],
        env,
        directory / "beat.log",
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, web, web_log)
        yield Api(base_url, "operator", "operator-pw"), worker_log
    finally:
        stop(web)
        stop(worker)
        stop(beat)


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


def running_task(database_url: str, execution_id: str) -> str:
    """The worker id (`host:pid`) running a task of the execution, once one runs."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT worker_id FROM executions_taskrun WHERE execution_id = %s AND state = 'RUNNING'",
                [execution_id],
            )
            if row := cursor.fetchone():
                return str(row[0])
            connection.commit()
            time.sleep(0.1)
    raise AssertionError("the task never started")


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
