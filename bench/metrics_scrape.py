"""What one `/metrics` scrape costs as executions pile up: the collectors' queries on a database of N
executions (one every 3 s going back in time, 2 task runs each, the newest 40 running) and as many
delivered notification deliveries.

    python bench/metrics_scrape.py [--database postgres://postgres@127.0.0.1:5432/flowhub_bench_metrics]
        [--executions 10000,100000] [--scrapes 20]

Creates (and drops at the end) the named PostgreSQL database, migrates it, bulk-inserts the rows in
steps up to each count, runs ANALYZE and VACUUM as autovacuum would, then times `--scrapes` scrapes
(the collectors and the encoding, no HTTP) and prints p50 and max, with the size of the exposition.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMESPACES = [f"acme.team{index}" for index in range(20)]
STATES = ["SUCCESS"] * 17 + ["FAILED", "WARNING", "KILLED"]
RUNNING = 40
"""The newest executions are still running, each with its second task on one of 4 workers."""
FLOW = "id: flow\nnamespace: acme\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


def recreate(database_url: str) -> None:
    server = urlsplit(database_url)
    admin = psycopg2.connect(server._replace(path="/postgres").geturl())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{server.path[1:]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{server.path[1:]}"')
    admin.close()


def drop(database_url: str) -> None:
    server = urlsplit(database_url)
    admin = psycopg2.connect(server._replace(path="/postgres").geturl())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{server.path[1:]}" WITH (FORCE)')
    admin.close()


def insert(start: int, stop: int, revision_id: int, notification_id: str) -> None:
    from django.utils import timezone

    from executions.models import Execution, TaskRun
    from flowhub.engine.ids import new_id
    from notifications.models import Delivery

    now = timezone.now()
    for offset in range(start, stop, 5000):
        executions, runs = [], []
        for number in range(offset, min(offset + 5000, stop)):
            state = "RUNNING" if number < RUNNING else STATES[number % len(STATES)]
            created = now - timedelta(seconds=number * 3)  # one every 3 s, going back in time
            ended = None if state == "RUNNING" else created + timedelta(seconds=2)
            execution = Execution(
                id=new_id(), namespace=NAMESPACES[number % len(NAMESPACES)], flow_id="flow", state=state,
                flow_revision_id=revision_id, state_history=[], updated_at=ended or created, ended_at=ended,
            )  # fmt: skip
            executions.append(execution)
            for task in ("first", "second"):
                run_state = "RUNNING" if state == "RUNNING" and task == "second" else "SUCCESS"
                runs.append(
                    TaskRun(
                        id=new_id(), execution=execution, task_id=task, state=run_state, state_history=[],
                        started_at=created, ended_at=None if run_state == "RUNNING" else created + timedelta(seconds=1),
                        worker_id=f"worker-{number % 4}" if run_state == "RUNNING" else "", heartbeat_at=created,
                    )
                )  # fmt: skip
        Execution.objects.bulk_create(executions)
        TaskRun.objects.bulk_create(runs)
        Delivery.objects.bulk_create(
            Delivery(
                notification_id=notification_id, event="execution.created", execution_id=execution.id,
                namespace=execution.namespace, payload={}, status="DELIVERED", attempts=1, ended_at=now,
            )
            for execution in executions
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/flowhub_bench_metrics")
    parser.add_argument("--executions", default="10000,100000")
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    counts = [int(count) for count in args.executions.split(",")]

    recreate(args.database)
    os.environ.update(
        DATABASE_URL=args.database,
        DJANGO_SETTINGS_MODULE="flowhub.settings",
        FLOWHUB_DATA_DIR=tempfile.mkdtemp(prefix="flowhub-bench-"),
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from prometheus_client import generate_latest

    from flowhub.api.metrics import registry
    from namespaces.services import flow_create
    from notifications.services import NotificationSpec, notification_create

    try:
        call_command("migrate", verbosity=0)
        flow = flow_create(source=FLOW)
        notification, _ = notification_create(
            spec=NotificationSpec(url="https://hooks.example.com", events=["execution.created"])
        )
        stored = 0
        for count in counts:
            insert(stored, count, flow.current_id, notification.id)
            stored = count
            with connection.cursor() as cursor:  # creation dates as inserted were all "now" (auto_now_add)
                cursor.execute(
                    "UPDATE executions_execution SET created_at = COALESCE(ended_at - interval '2 seconds', updated_at)"
                )
                cursor.execute("VACUUM ANALYZE")
            timings, size = [], 0
            for _ in range(args.scrapes):
                started = time.perf_counter()
                size = len(generate_latest(registry()))
                timings.append(time.perf_counter() - started)
            print(
                f"{count} executions, {2 * count} task runs: scrape p50 {statistics.median(timings) * 1000:.1f} ms, "
                f"max {max(timings) * 1000:.1f} ms ({args.scrapes} scrapes, {size} bytes)"
            )
    finally:
        connection.close()
        drop(args.database)


if __name__ == "__main__":
    main()
