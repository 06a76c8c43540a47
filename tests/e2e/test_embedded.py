"""`manage.py serve` (what `make run` starts): SQLite, filesystem broker, web + worker + scheduler."""

import signal
import time

import pytest

from .processes import alive, descendants
from .quickstart import Api, run_failing_flow, run_quickstart

pytestmark = pytest.mark.embedded


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


def test_children_do_not_outlive_a_killed_serve(embedded):
    process, _, _ = embedded
    children = descendants(process.pid)
    process.kill()  # SIGKILL: serve cannot clean up, the kernel must
    process.wait(timeout=10)
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
