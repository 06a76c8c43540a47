"""The engine's own speed on PostgreSQL + Redis, against a raw Celery chain on the same broker.

    python bench/engine.py [--count 50] [--burst 200] [--clients 8] [--redis-db 9]

Starts the distributed set as processes (uvicorn web, `celery worker` with 2 worker processes,
beat) on a PostgreSQL database and a Redis database of its own, both created (or emptied) at the
start and dropped (or emptied) at the end, and a 3-task flow (Log, Return, Log). Then prints:

- trigger→terminal latency p50/p95 over `--count` executions run one after another, read from
  each execution's own state history (CREATED date to terminal date);
- executions/s for `--burst` executions triggered at once from `--clients` HTTP client threads,
  from the first trigger to the last terminal date (read from the database, so polling does not
  inflate it);
- the same workload as a raw Celery chain of 3 no-op tasks (bench/celery_chain.py), its worker a
  process of its own with the same concurrency, `--burst` chains sent at once and timed until
  their 3 * `--burst` steps have counted themselves in Redis; and the ratio flowhub / raw.

Every phase is bounded by `--timeout`; everything started is stopped at the end, on Ctrl-C or
failure too. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.celery_chain import COUNTER, app, three_noops
from bench.latency import latency, percentile
from tests.e2e.processes import base_env, descendants, free_port, kill_all, manage, start, wait_until_healthy
from tests.e2e.quickstart import TERMINAL, Api
from tests.services import POSTGRES_URL, REDIS_URL

NAMESPACE, FLOW_ID = "bench.engine", "three"
FLOW = f"""\
id: {FLOW_ID}
namespace: {NAMESPACE}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "started {{{{ execution.id }}}}"
  - id: answer
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ execution.id | upper }}}}"
  - id: bye
    type: io.kestra.plugin.core.log.Log
    message: "answered {{{{ outputs.answer.value }}}}"
"""
USER, PASSWORD = "bench", "bench-pw"
WARM_UP = 3


@dataclass
class Stack:
    """Where to reach what the bench started."""

    api: Api
    database_url: str
    broker_url: str
    processes: dict[str, subprocess.Popen[bytes]]


@contextlib.contextmanager
def own_database() -> Iterator[str]:
    name = f"flowhub_bench_{os.getpid()}"
    server = urlsplit(POSTGRES_URL)
    admin = psycopg2.connect(server._replace(path="/postgres").geturl())
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield server._replace(path=f"/{name}").geturl()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextlib.contextmanager
def own_redis_db(number: int) -> Iterator[str]:
    url = f"{REDIS_URL}/{number}"
    client = redis.Redis.from_url(url)
    if client.dbsize():
        raise SystemExit(f"Redis database {number} is in use ({client.dbsize()} keys); pick another with --redis-db")
    try:
        yield url
    finally:
        client.flushdb()


@contextlib.contextmanager
def log_directory() -> Iterator[Path]:
    """A temporary folder for the processes' logs, kept if the run fails."""
    logs = Path(tempfile.mkdtemp(prefix="flowhub-bench-"))
    try:
        yield logs
    except BaseException:
        print(f"the processes' logs are kept in {logs}", file=sys.stderr)
        raise
    shutil.rmtree(logs)


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = start(command, env, log)
    try:
        yield process
    finally:
        kill_all(process)


@contextlib.contextmanager
def stack(args: argparse.Namespace) -> Iterator[Stack]:
    celery = [sys.executable, "-m", "celery"]
    worker_options = ["--concurrency", str(args.concurrency), "--loglevel", "INFO"]
    with contextlib.ExitStack() as started:
        logs = started.enter_context(log_directory())
        database_url = started.enter_context(own_database())
        broker_url = started.enter_context(own_redis_db(args.redis_db))
        env = base_env(
            logs / "data",
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=broker_url,
            BENCH_BROKER_URL=broker_url,
            FLOWHUB_ADMIN_USER=USER,
            FLOWHUB_ADMIN_PASSWORD=PASSWORD,
        )
        manage("migrate", "--noinput", env=env)
        manage("ensure_admin", env=env)
        port = free_port()
        web_command = ["-m", "uvicorn", "flowhub.asgi:application", "--port", str(port)]
        worker_command = ["-A", "flowhub", "worker", "--queues", "executor,worker", *worker_options]
        beat_command = ["-A", "flowhub", "beat", "--schedule", str(logs / "beat-schedule"), "--pidfile="]
        raw_command = ["-A", "bench.celery_chain", "worker", *worker_options, "-n", "raw@%h"]
        commands = {
            "web": [sys.executable, *web_command, "--workers", str(args.web_workers)],
            "worker": [*celery, *worker_command, "-n", "flowhub@%h"],
            "beat": [*celery, *beat_command],
            "raw worker": [*celery, *raw_command],
        }
        processes = {
            name: started.enter_context(running(command, env, logs / f"{name}.log"))
            for name, command in commands.items()
        }
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url, processes["web"], logs / "web.log")
        yield Stack(Api(base_url, USER, PASSWORD), database_url, broker_url, processes)


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time used so far by each started process with all it forked, by the PostgreSQL server (all
    of it: other clients of the server count too), and by the bench itself (its HTTP clients)."""
    used = {name: _tree_cpu(process.pid) for name, process in stack.processes.items()}
    used["postgres"] = _tree_cpu(_postmaster(stack))
    used["bench"] = sum(os.times()[:2])
    return used


def cpu_used_since(stack: Stack, before: dict[str, float]) -> str:
    used = {name: seconds - before[name] for name, seconds in cpu_seconds(stack).items()}
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items() if seconds >= 0.05)


def sessions_opened(stack: Stack) -> int:
    """How many PostgreSQL sessions were opened on the bench's database so far."""
    return int(_query(stack, "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))


def _query(stack: Stack, sql: str) -> Any:
    with psycopg2.connect(stack.database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        value = cursor.fetchone()[0]
    connection.close()
    return value


def _postmaster(stack: Stack) -> int:
    with psycopg2.connect(stack.database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        postmaster = _parent(cursor.fetchone()[0])  # while the backend lives
    connection.close()
    return postmaster


def _tree_cpu(pid: int) -> float:
    return sum(_cpu_of(process) for process in {pid} | descendants(pid))


def _cpu_of(pid: int) -> float:
    """User and system time of the process and of the children it has reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # it has exited
    return sum(int(ticks) for ticks in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def sequential_latencies(api: Api, count: int, timeout: float) -> list[float]:
    return [latency(api.wait_for_end(trigger(api), timeout=timeout)) for _ in range(count)]


def trigger(api: Api) -> str:
    response = api.trigger(NAMESPACE, FLOW_ID)
    response.raise_for_status()
    return str(response.json()["id"])


def flowhub_burst(stack: Stack, count: int, clients: int, timeout: float) -> tuple[float, dict[str, int]]:
    """Trigger `count` executions from `clients` threads; seconds from the first trigger to the last end."""
    local = threading.local()

    def client_trigger(_: int) -> str:
        if not hasattr(local, "api"):
            local.api = Api(stack.api.base.removesuffix("/api/v1"), USER, PASSWORD)
        return trigger(local.api)

    started = time.time()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        ids = list(pool.map(client_trigger, range(count)))
    with psycopg2.connect(stack.database_url) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            query = "SELECT state, ended_at FROM executions_execution WHERE id = ANY(%s)"
            rows = poll(lambda: _all_ended(cursor, query, ids), timeout, "executions")
    states: dict[str, int] = {}
    for state, _ in rows:
        states[state] = states.get(state, 0) + 1
    return max(ended.timestamp() for _, ended in rows) - started, states


def _all_ended(cursor: Any, query: str, ids: list[str]) -> list[tuple[str, datetime]] | None:
    cursor.execute(query, [ids])
    rows = cursor.fetchall()
    return rows if all(state in TERMINAL for state, _ in rows) else None


def raw_chains(stack: Stack, timeout: float) -> Callable[[int], float]:
    """A function that sends N chains of 3 no-op tasks at once and answers the seconds until their 3 * N
    steps have counted themselves; the raw worker warmed up by one chain first."""
    app.conf.broker_url = stack.broker_url
    counter = redis.Redis.from_url(stack.broker_url)

    def run(count: int) -> float:
        counter.delete(COUNTER)
        started = time.perf_counter()
        for _ in range(count):
            three_noops().apply_async()
        done = lambda: int(counter.get(COUNTER) or 0) >= 3 * count or None  # noqa: E731
        poll(done, timeout, "raw chains", interval=0.001)
        return time.perf_counter() - started

    run(1)
    return run


def poll(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (result := check()) is not None:
            return result
        time.sleep(interval)
    raise SystemExit(f"{what}: not done after {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=50, help="sequential executions for the latency")
    parser.add_argument("--burst", type=int, default=200, help="executions (and raw chains) triggered at once")
    parser.add_argument("--clients", type=int, default=8, help="HTTP client threads for the burst")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes, flowhub's and the raw one's")
    parser.add_argument("--web-workers", type=int, default=1, help="uvicorn processes (see docs/performance.md)")
    parser.add_argument("--redis-db", type=int, default=9, help="an empty Redis database for the run")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed per phase")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C (which a shell may have set to be ignored in a background job), so
    # that the processes started are stopped either way.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    with stack(args) as started:
        api = started.api
        created = api.create_flow(FLOW)
        if created.status_code != 200:
            raise SystemExit(f"cannot create the flow: {created.status_code} {created.text}")
        sequential_latencies(api, WARM_UP, args.timeout)
        sequential = sequential_latencies(api, args.count, args.timeout)
        load_before = os.getloadavg()[0]
        cpu_before, sessions_before = cpu_seconds(started), sessions_opened(started)
        seconds, states = flowhub_burst(started, args.burst, args.clients, args.timeout)
        cpu = cpu_used_since(started, cpu_before)
        sessions = sessions_opened(started) - sessions_before
        raw = raw_chains(started, args.timeout)
        raw_sequential = [raw(1) for _ in range(args.count)]
        cpu_before = cpu_seconds(started)
        raw_seconds = raw(args.burst)
        raw_cpu = cpu_used_since(started, cpu_before)
    flowhub_rate, raw_rate = args.burst / seconds, args.burst / raw_seconds
    print(f"flowhub on PostgreSQL + Redis, worker concurrency {args.concurrency}, flow {NAMESPACE}.{FLOW_ID}")
    print(f"(Log, Return, Log); load average {load_before:.2f} before the burst, {os.getloadavg()[0]:.2f} at the end")
    print(
        f"sequential trigger->terminal ({args.count} runs): p50 {statistics.median(sequential) * 1000:.0f} ms, "
        f"p95 {percentile(sequential, 0.95) * 1000:.0f} ms, max {max(sequential) * 1000:.0f} ms"
    )
    print(
        f"{args.burst} executions at once ({args.clients} clients): all terminal in {seconds:.2f} s "
        f"= {flowhub_rate:.1f} executions/s; final states {states}"
    )
    print(f"  CPU seconds used meanwhile: {cpu}")
    print(f"  PostgreSQL sessions opened meanwhile: {sessions}")
    print(
        f"raw Celery chains of 3 no-op tasks: one after another p50 {statistics.median(raw_sequential) * 1000:.0f} ms, "
        f"p95 {percentile(raw_sequential, 0.95) * 1000:.0f} ms; {args.burst} at once in {raw_seconds:.2f} s "
        f"= {raw_rate:.1f} chains/s"
    )
    print(f"  CPU seconds used meanwhile: {raw_cpu}")
    print(f"flowhub / raw: {flowhub_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
