"""How fast, and at what memory cost, a running flowhub refuses hostile flows.

    python bench/hostile_flows.py --url http://127.0.0.1:8080 --user admin --password admin \
        [--pid <web server pid>] [--count 20]

Posts a billion-laughs YAML (aliases expanding to 10^9 values) and a 5 MB YAML `--count` times
each, then prints the answer's status and its p50 / max time. With `--pid` (the web process, or
its parent with `serve`) it also prints that process's peak RSS (VmHWM) before and after. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.engine.flows import billion_laughs, five_megabytes


def peak_rss_mb(pid: int | None) -> str:
    if pid is None:
        return "-"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return f"{int(line.split()[1]) / 1024:.1f} MB"
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--pid", type=int)
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()

    session = requests.Session()
    session.auth = (args.user, args.password)
    session.headers["Content-Type"] = "application/x-yaml"
    print(f"peak RSS before: {peak_rss_mb(args.pid)}")
    for name, source in (("billion laughs", billion_laughs()), ("5 MB flow", five_megabytes())):
        timings, statuses = [], set()
        for _ in range(args.count):
            started = time.perf_counter()
            response = session.post(f"{args.url}/api/v1/flows", data=source.encode())
            timings.append(time.perf_counter() - started)
            statuses.add(response.status_code)
        print(
            f"{name} ({len(source.encode()) / 1e6:.2f} MB): status {sorted(statuses)}, "
            f"p50 {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms ({args.count} posts)"
        )
    print(f"peak RSS after: {peak_rss_mb(args.pid)}")


if __name__ == "__main__":
    main()
