"""Run flowhub in one command: migrate, create the admin, then web server + worker + scheduler.

Each child runs in its own process group, so stopping them (Ctrl-C, SIGTERM, or one child
dying) also stops whatever they forked, such as the worker's pool processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

GRACE_SECONDS = 10
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
        parser.add_argument("--no-migrate", action="store_true", help="skip migrate/ensure_admin/collectstatic")

    def handle(self, *args: Any, host: str, port: int, no_migrate: bool, **options: Any) -> None:
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("ensure_admin")
            call_command("collectstatic", interactive=False, verbosity=0)
        children = {name: _spawn(command) for name, command in _commands(host, port).items()}
        self.stdout.write(self.style.SUCCESS(f"flowhub is serving on http://{host}:{port}/ (Ctrl-C stops it)"))
        stop = _StopSignal()
        exit_code = 0
        while not stop.requested:
            exited = {name: child.returncode for name, child in children.items() if child.poll() is not None}
            if exited:
                self.stderr.write(f"stopping: {', '.join(f'{n} exited with {c}' for n, c in exited.items())}")
                exit_code = 1
                break
            time.sleep(0.2)
        _stop_all(list(children.values()))
        sys.exit(exit_code)


def _commands(host: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        # flowhub.requests logs each request, with its trace id: uvicorn's access log would repeat it without.
        "web": [
            python, "-m", "uvicorn", "flowhub.asgi:application", "--host", host, "--port", str(port), "--no-access-log",
        ],
        "worker": [
            python, "-m", "celery", "-A", "flowhub", "worker", "--queues", "executor,worker",
            "--concurrency", str(settings.FLOWHUB_WORKER_CONCURRENCY), "--loglevel", "INFO",
            "--hostname", f"embedded-{os.getpid()}@%h",
        ],
        "scheduler": [
            python, "-m", "celery", "-A", "flowhub", "beat", "--loglevel", "INFO",
            "--schedule", str(settings.DATA_DIR / "celerybeat-schedule"), "--pidfile=",
        ],
    }  # fmt: skip


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """On Linux, have the kernel send SIGTERM to the child if `serve` dies, even by SIGKILL."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class _StopSignal:
    def __init__(self) -> None:
        self.requested = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._request)

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
    for child in children:  # the groups' stragglers too, even when the leader already exited
        _signal_group(child, signal.SIGKILL)
        child.wait()


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signum)
