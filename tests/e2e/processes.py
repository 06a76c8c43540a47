"""Starting flowhub's processes for end-to-end tests, and stopping them with everything they forked."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "CELERY_", "FLOWHUB_", "PYTEST_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="flowhub.settings",
        FLOWHUB_DATA_DIR=str(data_dir),
        FLOWHUB_SECRET_KEY="e2e-" + "k" * 40,
        # Bursts (500 webhook calls, 100 followers of one execution) are what some tests are about: not the limits.
        FLOWHUB_RATE_LIMIT="1000000/min",
        FLOWHUB_WEBHOOK_RATE_LIMIT="1000000/min",
        FLOWHUB_LOGIN_RATE_LIMIT="1000000/min",
        FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS="127.0.0.0/8,::1/128",  # the receivers listen on loopback
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def manage(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr[-3000:]}"


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):  # a busy machine answers late
            if requests.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"{base_url} not healthy after {timeout}s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def serving(
    directory: Path, admin: tuple[str, str], **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`manage.py serve` in a fresh data directory under `directory`: (process, base URL, log path)."""
    port = free_port()
    env = base_env(
        directory / "data", FLOWHUB_ADMIN_USER=admin[0], FLOWHUB_ADMIN_PASSWORD=admin[1], PORT=str(port), **settings
    )
    log = directory / "serve.log"
    process = start([sys.executable, "manage.py", "serve"], env, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log, timeout=90)
        yield process, base_url, log
    finally:
        kill_all(process)


def kill_all(*processes: subprocess.Popen[bytes]) -> None:
    """End a fixture's processes at once, their descendants too (serve's children lead groups of their own):
    the tests are over, so nothing is left to shut down gracefully, and a worker's warm shutdown takes seconds."""
    pids = {pid for process in processes for pid in descendants(process.pid)} | {process.pid for process in processes}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for process in processes:
        process.wait()


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
