"""Trigger→terminal latency of the quick-start flow against a running flowhub.

    python bench/latency.py --url http://127.0.0.1:8080 --user admin --password admin [--count 50]

Runs the executions one after another (latency), then `--count` at once (throughput). Latency is
read from each execution's own state history (CREATED date to terminal date), so the polling
interval does not distort it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.quickstart import HELLO, Api


def seconds_between(first: str, last: str) -> float:
    return (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()


def latency(execution: dict) -> float:
    histories = execution["state"]["histories"]
    return seconds_between(histories[0]["date"], histories[-1]["date"])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    api = Api(args.url, args.user, args.password)
    created = api.create_flow(HELLO)
    if created.status_code not in (200, 409):
        raise SystemExit(f"cannot create the flow: {created.status_code} {created.text}")

    sequential = []
    for _ in range(args.count):
        execution_id = api.trigger("acme.sales", "hello", name="bench").json()["id"]
        sequential.append(latency(api.wait_for_end(execution_id)))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda _: api.trigger("acme.sales", "hello", name="bench").json()["id"], range(args.count)))
        finished = list(pool.map(lambda execution_id: api.wait_for_end(execution_id, timeout=300), ids))
    elapsed = time.perf_counter() - started
    states = {execution["state"]["current"] for execution in finished}

    print(f"flowhub at {args.url}, flow acme.sales.hello (Log + Return), {args.count} executions")
    print(
        f"sequential trigger->terminal: p50 {statistics.median(sequential) * 1000:.0f} ms, "
        f"p95 {percentile(sequential, 0.95) * 1000:.0f} ms, max {max(sequential) * 1000:.0f} ms"
    )
    print(f"{args.count} triggered at once: all terminal in {elapsed:.2f} s = {args.count / elapsed:.1f} executions/s")
    print(f"final states: {sorted(states)}")


if __name__ == "__main__":
    try:
        main()
    except requests.ConnectionError as exc:
        raise SystemExit(f"flowhub is not reachable: {exc}") from None
