"""Fixtures that start flowhub as processes."""

import signal
import sys

import pytest

from .processes import base_env, free_port, start, stop, wait_until_healthy

EMBEDDED_ADMIN = ("admin", "admin-pw")


@pytest.fixture
def embedded(tmp_path):
    """`manage.py serve` in a fresh data directory: (process, base URL, log path)."""
    port = free_port()
    env = base_env(
        tmp_path / "data",
        FLOWHUB_ADMIN_USER=EMBEDDED_ADMIN[0],
        FLOWHUB_ADMIN_PASSWORD=EMBEDDED_ADMIN[1],
        PORT=str(port),
    )
    log = tmp_path / "serve.log"
    process = start([sys.executable, "manage.py", "serve"], env, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log, timeout=90)
        yield process, base_url, log
    finally:
        stop(process, signal.SIGTERM)
