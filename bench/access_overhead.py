"""What access control costs a request: the same reads by a superuser, by a user whose roles are looked up,
with an API token, and with a narrowed token, against a running flowhub.

    python bench/access_overhead.py --url http://127.0.0.1:8080 --user admin --password admin [--count 300]

Sets up (as the superuser) a flow in `acme.sales`, one execution of it, a user `bench-viewer` bound as
viewer on `acme` and tokens for both; then times `GET /executions/{id}` (the permission looks the
execution's namespace up) and `GET /executions/search` (the list is filtered by the caller's namespaces),
one request after another. Prints p50 and p95 per caller; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.latency import percentile
from tests.e2e.quickstart import HELLO, Api

VIEWER, VIEWER_PASSWORD = "bench-viewer", "bench viewer password"


def timed(session: requests.Session, url: str, count: int) -> list[float]:
    took = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url)
        took.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:200]}")
    return took


def session_with(**headers: str) -> requests.Session:
    session = requests.Session()
    session.headers.update(headers)
    return session


def token(admin: requests.Session, base: str, body: dict) -> str:
    made = admin.post(f"{base}/tokens", json=body)
    if made.status_code != 201:
        raise SystemExit(f"cannot create a token: {made.status_code} {made.text}")
    return str(made.json()["token"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    base = f"{args.url}/api/v1"
    api = Api(args.url, args.user, args.password)
    if (created := api.create_flow(HELLO)).status_code not in (200, 409):
        raise SystemExit(f"cannot create the flow: {created.status_code} {created.text}")
    execution_id = api.trigger("acme.sales", "hello", name="bench").json()["id"]

    admin = session_with()
    admin.auth = (args.user, args.password)
    admin.post(f"{base}/roles", json={"namespace": "acme", "role": "viewer", "user": VIEWER})
    viewer = session_with()
    viewer.auth = (VIEWER, VIEWER_PASSWORD)
    if viewer.get(f"{base}/me").status_code != 200:
        raise SystemExit(f"create the user {VIEWER!r} (password {VIEWER_PASSWORD!r}) first, e.g. in the admin")
    callers = {
        "superuser, basic": admin,
        "viewer of acme, basic": viewer,
        "superuser, API token": session_with(Authorization=f"Bearer {token(admin, base, {'name': 'bench'})}"),
        "viewer of acme, token narrowed to acme.sales": session_with(
            Authorization="Bearer "
            + token(viewer, base, {"name": "bench", "bindings": [{"namespace": "acme.sales", "role": "viewer"}]})
        ),
    }
    for caller in callers.values():  # warm the basic-auth cache and the connections
        timed(caller, f"{base}/executions/{execution_id}", 5)

    print(f"flowhub at {args.url}, {args.count} sequential requests per caller and path")
    for path in (f"/executions/{execution_id}", "/executions/search?namespace=acme&size=10"):
        print(f"GET /api/v1{path.split('?')[0]}")
        for name, caller in callers.items():
            took = [seconds * 1000 for seconds in timed(caller, base + path, args.count)]
            print(f"  {name:45} p50 {statistics.median(took):6.1f} ms   p95 {percentile(took, 0.95):6.1f} ms")


if __name__ == "__main__":
    try:
        main()
    except requests.ConnectionError as exc:
        raise SystemExit(f"flowhub is not reachable: {exc}") from None
