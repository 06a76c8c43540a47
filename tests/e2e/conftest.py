"""Fixtures that start flowhub as processes: `embedded` (manage.py serve) and `stack` (the distributed set)."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
import redis

from tests import services

from .processes import base_env, free_port, kill_all, manage, serving, start, wait_until_healthy
from .quickstart import Api

EMBEDDED_ADMIN = ("admin", "admin-pw")


@pytest.fixture
def embedded(tmp_path):
    with serving(tmp_path, EMBEDDED_ADMIN) as served:
        yield served


def require(*names: str) -> None:
    if down := services.missing(*names):
        reason = f"needs {', '.join(names)}; not available: {', '.join(down)}"
        if services.in_ci():
            pytest.fail(reason)
        pytest.skip(reason)


def process_number() -> int:
    """This test process's own number, for its own broker database and PostgreSQL database.

    `FLOWHUB_TEST_SLOT` shifts it, so that two test runs on one machine keep apart."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    return int(os.environ.get("FLOWHUB_TEST_SLOT", "0")) * 4 + worker  # up to four xdist workers per run


REDIS_ONLY = pytest.mark.parametrize("broker_url", ["redis"], indirect=True, scope="module")
"""For a module whose subject does not depend on the broker: one stack instead of two. RabbitMQ is covered
by the modules about delivery and redelivery (test_distributed, test_script_recovery_e2e, test_actions_e2e)
and by the corpus, which runs every kind of flow on both."""


@pytest.fixture(scope="module", params=["redis", "amqp"])
def broker_url(request):
    """An empty broker of this test process's own: a Redis database, or a RabbitMQ virtual host."""
    if request.param == "redis":
        require("PostgreSQL", "Redis")
        url = f"{services.REDIS_URL}/{(10 + process_number()) % 16}"
        redis.Redis.from_url(url).flushdb()
        return url
    require("PostgreSQL", "RabbitMQ")
    vhost = f"flowhub-test-{process_number()}"
    rabbitmqctl = shutil.which("rabbitmqctl") or "rabbitmqctl"
    subprocess.run([rabbitmqctl, "delete_vhost", vhost], capture_output=True, timeout=60)
    for command in (["add_vhost", vhost], ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]):
        subprocess.run([rabbitmqctl, *command], capture_output=True, timeout=60, check=True)
    return f"{services.RABBITMQ_URL}/{vhost}"


@contextlib.contextmanager
def fresh_database(name: str, template: str = "template1") -> Iterator[str]:
    """A new PostgreSQL database, a copy of `template` (by default empty), dropped afterwards: its URL."""
    admin = _server_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _database_url(name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _server_connection() -> psycopg2.extensions.connection:
    admin = psycopg2.connect(_database_url("postgres"))
    admin.autocommit = True
    return admin


def _database_url(name: str) -> str:
    return urlsplit(services.POSTGRES_URL)._replace(path=f"/{name}").geturl()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Iterator[str]:
    """A database migrated, with the stacks' operator, once per test process: each stack's database is a copy of
    it (CREATE DATABASE … TEMPLATE, a file copy), rather than a migration of its own (seconds, every module)."""
    require("PostgreSQL")
    name = f"flowhub_e2e_template_{process_number()}"
    with fresh_database(name) as url:
        env = stack_env(tmp_path_factory.mktemp("template"), "memory://", url)
        manage("migrate", "--noinput", env=env)
        manage("ensure_admin", env=env)
        yield name


@pytest.fixture(scope="module")
def database_url(broker_url, migrated_template):
    """A fresh PostgreSQL database for one stack, migrated and with its operator, dropped afterwards."""
    with fresh_database(f"flowhub_e2e_{process_number()}", template=migrated_template) as url:
        yield url


def stack_env(directory: Path, broker_url: str, database_url: str) -> dict[str, str]:
    """The environment of a distributed stack's processes (its database comes migrated: `database_url`)."""
    return base_env(
        directory / "data",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        FLOWHUB_ADMIN_USER="operator",
        FLOWHUB_ADMIN_PASSWORD="operator-pw",
        FLOWHUB_TASK_LEASE_SECONDS="6",  # a lost worker is noticed within 6 s and a reaper round (10 s)
    )


def start_web(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The web server and its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "flowhub.asgi:application", "--port", str(port), "--workers", "2"]
    return start(command, env, log), f"http://127.0.0.1:{port}"


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start(
        [
            sys.executable, "-m", "celery", "-A", "flowhub", "worker", "--queues", "executor,worker",
            "--concurrency", "2", "--hostname", f"e2e-{uuid.uuid4().hex[:8]}@%h", "--loglevel", "INFO",
        ],
        env,
        log,
    )  # fmt: skip


def start_beat(env: dict[str, str], directory: Path, name: str = "beat") -> subprocess.Popen[bytes]:
    """A scheduler (`celery beat`) with its own schedule file, logging each message it sends to `<name>.log`."""
    command = [sys.executable, "-m", "celery", "-A", "flowhub", "beat", "--loglevel", "INFO"]
    return start([*command, "--schedule", str(directory / f"{name}-schedule")], env, directory / f"{name}.log")


@pytest.fixture(scope="module")
def stack(broker_url, database_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("distributed")
    env = stack_env(directory, broker_url, database_url)
    web_log, worker_log = directory / "web.log", directory / "worker.log"
    web, base_url = start_web(env, web_log)
    worker = start_worker(env, worker_log)
    # The scheduler too: its reaper is what notices a worker that died.
    beat = start_beat(env, directory)
    try:
        wait_until_healthy(base_url, web, web_log)
        yield Api(base_url, "operator", "operator-pw"), worker_log
    finally:
        kill_all(web, worker, beat)


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
