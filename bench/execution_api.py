"""The execution API on a running flowhub: a log download, a page of search results, a `wait=true` trigger.

    python bench/execution_api.py --serve [--lines 100000] [--executions 300]
    python bench/execution_api.py --url http://127.0.0.1:8080 --pid <web process pid>

It runs one execution whose shell task prints `--lines` lines and times `GET /logs/{id}/download` (lines/s,
and the web process's peak RSS before and after: the download streams, so it should not grow with the
file); it starts `--executions` executions with JSON bodies (starts/s), then times pages of 100 of
`GET /executions/search` (each result with its task runs and progress); and it times ten `wait=true`
triggers of a one-task flow, from request to the ended execution. Prints figures; asserts nothing.

With `--serve`, the bench starts `manage.py serve` (SQLite, embedded broker) in a temporary directory.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from namespace_files import peak_rss_mib, served

NOISY = """\
id: noisy
namespace: bench.api
tasks:
  - id: print
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - seq 1 {lines}
"""
QUICK = """\
id: quick
namespace: bench.api
inputs:
  - id: n
    type: INT
tasks:
  - id: answer
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.n * 2 }}"
"""


def wait_for_end(session: requests.Session, api: str, execution_id: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = session.get(f"{api}/executions/{execution_id}").json()
        if execution["progress"]["percent"] == 100:
            return execution
        time.sleep(0.2)
    raise RuntimeError(f"execution {execution_id} did not end in {timeout} s")


def measure(url: str, pid: int, user: str, password: str, lines: int, executions: int) -> None:
    session = requests.Session()
    session.auth = (user, password)
    api = f"{url}/api/v1/main"
    for source in (NOISY.format(lines=lines), QUICK):
        session.post(f"{api}/flows", data=source, headers={"Content-Type": "application/x-yaml"}).raise_for_status()

    noisy = session.post(f"{api}/executions/bench.api/noisy", json={}).json()["id"]
    wait_for_end(session, api, noisy)
    rss_before = peak_rss_mib(pid)
    started = time.perf_counter()
    size = received = 0
    with session.get(f"{api}/logs/{noisy}/download", headers={"Accept": "text/plain"}, stream=True) as download:
        download.raise_for_status()
        for chunk in download.iter_content(64 * 1024):
            size += len(chunk)
            received += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    print(
        f"log download: {received} lines, {size / 1024 / 1024:.1f} MiB in {seconds:.2f} s "
        f"({received / seconds:,.0f} lines/s); web peak RSS {rss_before:.1f} -> {peak_rss_mib(pid):.1f} MiB"
    )

    started = time.perf_counter()
    for n in range(executions):
        session.post(f"{api}/executions/bench.api/quick", json={"inputs": {"n": n}}).raise_for_status()
    seconds = time.perf_counter() - started
    print(f"JSON triggers: {executions} in {seconds:.1f} s ({executions / seconds:.0f}/s)")

    timings = []
    for page in range(1, 11):
        started = time.perf_counter()
        response = session.get(f"{api}/executions/search", params={"size": 100, "page": page % 3 + 1})
        response.raise_for_status()
        timings.append(time.perf_counter() - started)
    print(
        f"search, pages of 100 with task runs and progress: median {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms (total {response.json()['total']})"
    )

    timings = []
    for n in range(10):
        started = time.perf_counter()
        response = session.post(f"{api}/executions/bench.api/quick", params={"wait": "true"}, json={"n": n})
        timings.append(time.perf_counter() - started)
        if response.json()["state"]["current"] != "SUCCESS":
            raise RuntimeError(f"a wait=true trigger answered {response.text[:500]}")
    print(
        f"wait=true, request to ended execution: median {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--pid", type=int, help="the web (uvicorn) process of the server at --url")
    parser.add_argument("--serve", action="store_true", help="start flowhub for the run")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--executions", type=int, default=300)
    args = parser.parse_args()
    if args.serve:
        with served("local", 0) as (url, pid):
            measure(url, pid, args.user, args.password, args.lines, args.executions)
    elif args.pid:
        measure(args.url, args.pid, args.user, args.password, args.lines, args.executions)
    else:
        parser.error("give --serve, or --pid of the server at --url")


if __name__ == "__main__":
    main()
