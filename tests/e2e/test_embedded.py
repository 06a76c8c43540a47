"""`manage.py serve` (what `make run` starts): SQLite, filesystem broker, web + worker + scheduler."""

import signal
import sys
import time

import pytest

from .processes import alive, base_env, descendants, free_port, start, stop, wait_until_healthy
from .quickstart import Api, run_failing_flow, run_quickstart


@pytest.fixture
def embedded(tmp_path):
    port = free_port()
    env = base_env(tmp_path / "data", FLOWHUB_ADMIN_USER="admin", FLOWHUB_ADMIN_PASSWORD="admin-pw", PORT=str(port))
    log = tmp_path / "serve.log"
    process = start([sys.executable, "manage.py", "serve"], env, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log, timeout=90)
        yield process, base_url, log
    finally:
        stop(process, signal.SIGKILL)


def test_serve_runs_the_quick_start_and_ctrl_c_stops_every_child(embedded):
    process, base_url, log = embedded
    api = Api(base_url, "admin", "admin-pw")
    run_quickstart(api)
    run_failing_flow(api)

    children = descendants(process.pid)
    assert len(children) >= 3, log.read_text()[-2000:]  # web, worker (+ its pool), scheduler
    process.send_signal(signal.SIGINT)  # what Ctrl-C delivers
    assert process.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
