"""API latency with 0 and then 100 live followers (SSE) open on the same server.

    python bench/sse_followers.py [--url http://127.0.0.1:8080 --user admin --password admin]
                                  [--followers 100] [--requests 200] [--database-url postgres://...]

Without `--url` it starts `manage.py serve` (uvicorn, a worker, SQLite, or PostgreSQL with `--database-url`)
in a temporary directory. It starts a few executions that sleep, measures `--requests` ordinary API calls
(GET an execution, GET its logs) one after another, then opens the followers (half on executions, half
on logs, spread over the executions) and measures the same calls again while they stream. Prints figures;
asserts nothing. Bounded: every stream and request has a timeout, and the sleeps end within two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.latency import percentile
from tests.e2e.processes import descendants, serving
from tests.e2e.quickstart import Api
from tests.e2e.sse import read_to_end

EXECUTIONS = 10
SLEEPER = """\
id: sleeper
namespace: bench.streams
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: ["one", "two", "three"]
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT90S
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: awake
"""


@contextlib.contextmanager
def server(args: argparse.Namespace) -> Iterator[tuple[str, int | None]]:
    """The base URL, and the web server's process id when this script started it."""
    if args.url:
        yield args.url, None
        return
    settings = {"DATABASE_URL": args.database_url} if args.database_url else {}
    with (
        tempfile.TemporaryDirectory(prefix="sse-bench-") as directory,
        serving(Path(directory), (args.user, args.password), **settings) as (process, base_url, _),
    ):
        (web,) = [pid for pid in descendants(process.pid) if b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        yield base_url, web


def threads(pid: int | None) -> str:
    if pid is None:
        return "?"
    status = Path(f"/proc/{pid}/status").read_text()
    return next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:"))


def api_latencies(http: httpx.Client, execution_ids: list[str], count: int) -> list[float]:
    latencies = []
    for n in range(count):
        execution_id = execution_ids[n % len(execution_ids)]
        path = f"/executions/{execution_id}" if n % 2 else f"/logs/{execution_id}"
        began = time.perf_counter()
        http.get(path).raise_for_status()
        latencies.append(time.perf_counter() - began)
    return latencies


def database_connections(database_url: str) -> int:
    """Connections to the database other than this one: the web server's, the worker's, the scheduler's."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def report(label: str, latencies: list[float]) -> None:
    p50, p95 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
    print(f"{label:<28} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({len(latencies)} requests)")


def follow_in_background(
    base_url: str, auth: tuple[str, str], execution_ids: list[str], count: int
) -> tuple[threading.Event, threading.Event, list[float]]:
    """Open `count` streams on an event loop of their own; (all started, stop them, seconds to open all)."""
    started, stop, opened_in = threading.Event(), threading.Event(), []

    async def follow() -> None:
        began, open_count = time.perf_counter(), 0

        def one_more() -> None:
            nonlocal open_count
            open_count += 1
            if open_count == count:
                opened_in.append(time.perf_counter() - began)
                started.set()

        limits = httpx.Limits(max_connections=count + 10)
        async with httpx.AsyncClient(
            base_url=f"{base_url}/api/v1/main", auth=auth, timeout=httpx.Timeout(120.0), limits=limits
        ) as http:
            kinds = ("executions", "logs")
            streams = [
                asyncio.ensure_future(
                    read_to_end(http, f"/{kinds[n % 2]}/{execution_ids[n % len(execution_ids)]}/follow", one_more)
                )
                for n in range(count)
            ]
            while not stop.is_set():
                await asyncio.sleep(0.1)
            for stream in streams:
                stream.cancel()
            await asyncio.gather(*streams, return_exceptions=True)

    threading.Thread(target=asyncio.run, args=(follow(),), daemon=True).start()
    return started, stop, opened_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running flowhub; by default one is started")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin-password")
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", help="PostgreSQL for the started server (default: SQLite)")
    args = parser.parse_args()
    with server(args) as (base_url, web):
        api = Api(base_url, args.user, args.password)
        if (created := api.create_flow(SLEEPER)).status_code not in (200, 409, 422):
            raise SystemExit(f"cannot create the flow: {created.status_code} {created.text}")
        execution_ids = [api.trigger("bench.streams", "sleeper").json()["id"] for _ in range(EXECUTIONS)]
        auth = (args.user, args.password)
        with httpx.Client(base_url=f"{base_url}/api/v1/main", auth=auth, timeout=30) as http:
            api_latencies(http, execution_ids, 20)  # warm up: the password check, the first connections
            report("no follower", api_latencies(http, execution_ids, args.requests))
            print(f"web server threads: {threads(web)}")
            if args.database_url:
                print(f"PostgreSQL connections: {database_connections(args.database_url)}")
            started, stop, opened_in = follow_in_background(base_url, auth, execution_ids, args.followers)
            try:
                if not started.wait(timeout=60):
                    raise SystemExit(f"{args.followers} streams did not all start within 60 s")
                print(f"{args.followers} streams opened in {opened_in[0]:.2f} s")
                print(f"web server threads with the streams open: {threads(web)}")
                if args.database_url:
                    print(f"PostgreSQL connections with the streams open: {database_connections(args.database_url)}")
                report(f"{args.followers} followers", api_latencies(http, execution_ids, args.requests))
            finally:
                stop.set()


if __name__ == "__main__":
    main()
