"""Running a script task's command: a subprocess in its own process group, with a scrubbed environment,
a wall-time limit, and its stdout and stderr read line by line as Kestra's script protocol reads them.

A script ends when its command exits; whatever it left running in its process group is killed then.
On timeout or a stop request the group gets SIGTERM, and SIGKILL `KILL_GRACE_SECONDS` later. A worker
that dies without stopping its script (SIGKILL, out of memory) leaves a guard behind: the group's
leader kills the group once the worker is gone, within a second or so.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

DEFAULT_MAX_DURATION = timedelta(hours=6)
"""The wall-time limit of a script task without a `timeout`: below the broker's 12-hour visibility
timeout, so that a running script is never delivered to a second worker (DESIGN.md §5 rule 4)."""

KILL_GRACE_SECONDS = 5.0
MAX_LINE_BYTES = 64 * 1024  # a longer line arrives as several
MAX_VARS_BYTES = 1024 * 1024  # what `::{"outputs": …}::` lines may add up to: outputs are stored with the run
POLL_SECONDS = 0.2
STDERR_TAIL = 10

# The server's own environment holds its secrets (database and broker URLs, keys, cloud credentials):
# a script sees only what a shell needs, and what its task's `env` gives it.
KEPT_VARIABLES = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "TERM",
        "TZ",
        "TMPDIR",
        "LANG",
        "LANGUAGE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    }
)
KEPT_PREFIXES = ("LC_",)

_MARKER = re.compile(r"^::(\{.*\})::$")
_LEVELS = frozenset({"TRACE", "DEBUG", "INFO", "WARN", "ERROR"})
_LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "ERROR", "FATAL": "ERROR"}

# The command runs as a background job of this shell, which leads the script's process group and
# stays there: a worker killed outright cannot kill the group itself, so a watcher in the group polls
# the worker (the shell's parent) and kills the whole group once it is gone. SIGTERM (a stop) is left
# to the command: the shell traps it and keeps waiting, so the command's exit status is the script's.
# Once the command has started, the shell's own stderr goes: its notices ("Terminated") are not the script's.
_GUARD = """\
worker=$PPID
trap : TERM
"$@" &
job=$!
exec 2>/dev/null
(while kill -0 "$worker" 2>/dev/null; do sleep 1; done; kill -KILL 0) >/dev/null 2>&1 &
while :; do
    wait "$job"
    status=$?
    kill -0 "$job" 2>/dev/null || exit "$status"
done
"""


def scrubbed_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The part of the server's environment a script may see."""
    return {name: value for name, value in environ.items() if name in KEPT_VARIABLES or name.startswith(KEPT_PREFIXES)}


class ScriptLines:
    """Kestra's protocol over a script's output lines (reference/kestra-flow.md §7).

    A line `::{…}::` (on either stream) is not logged: its `outputs` merge into `vars` and its `logs` are
    logged at their level (an unknown level at INFO). Its `metrics` are dropped, as are other keys:
    flowhub keeps no metrics. Other lines are logged, stdout at INFO, stderr at ERROR.
    """

    def __init__(self, log: Callable[[str, str], None]):
        self._log = log
        self.vars: dict[str, Any] = {}
        self.stdout_count = 0
        self.stderr_count = 0
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL)
        self._vars_budget = MAX_VARS_BYTES

    def add(self, line: str, *, stderr: bool) -> None:
        if stderr:
            self.stderr_count += 1
        else:
            self.stdout_count += 1
        if match := _MARKER.match(line):
            self._marker(line, match.group(1))
            return
        if stderr:
            self.stderr_tail.append(line)
        self._log("ERROR" if stderr else "INFO", line)

    def _marker(self, line: str, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self._log("WARN", f"Invalid outputs '{line[:1000]}'")
            return
        outputs = message.get("outputs")
        if isinstance(outputs, dict):
            self._vars_budget -= len(payload)
            if self._vars_budget < 0:
                self._log("WARN", f"outputs dropped: the script's outputs exceed {MAX_VARS_BYTES} bytes")
            else:
                self.vars.update(outputs)
        logs = message.get("logs")
        for entry in logs if isinstance(logs, list) else ():
            if isinstance(entry, dict):
                level = str(entry.get("level", "")).upper()
                level = _LEVEL_ALIASES.get(level, level)
                self._log(level if level in _LEVELS else "INFO", str(entry.get("message", "")))


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    timed_out: bool = False
    stopped: bool = False


def run_process(
    args: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    on_line: Callable[[str, bool], None],
    on_idle: Callable[[], None],
    max_duration: timedelta,
    stop: threading.Event,
) -> Outcome:
    """Run `args`, calling `on_line(line, is_stderr)` for each output line in the order they are read,
    and `on_idle()` whenever no line came for `POLL_SECONDS`."""
    process = subprocess.Popen(  # noqa: S603 (running the user's command is the point)
        ["/bin/sh", "-c", _GUARD, "flowhub-script", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    lines: queue.Queue[tuple[bool, bytes | None]] = queue.Queue()
    assert process.stdout is not None and process.stderr is not None
    readers = [
        threading.Thread(target=_read_lines, args=(stream, is_stderr, lines), daemon=True)
        for stream, is_stderr in ((process.stdout, False), (process.stderr, True))
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + max_duration.total_seconds()
    open_streams, reason, terminated_at, killed = len(readers), "", 0.0, False
    while True:
        exited = process.poll() is not None
        if exited and not open_streams:
            break
        if not reason and (stop.is_set() or time.monotonic() > deadline):
            reason = "stopped" if stop.is_set() else "timed out"
            _signal_group(process.pid, signal.SIGTERM)
            terminated_at = time.monotonic()
        if reason and not killed and time.monotonic() > terminated_at + KILL_GRACE_SECONDS:
            _signal_group(process.pid, signal.SIGKILL)
            killed = True
        if exited and not killed:
            # The command is done: what it left behind would hold the pipes open, and outlive the task.
            _signal_group(process.pid, signal.SIGKILL)
            killed = True
        try:
            is_stderr, chunk = lines.get(timeout=POLL_SECONDS)
        except queue.Empty:
            on_idle()
            continue
        if chunk is None:
            open_streams -= 1
        else:
            on_line(chunk.decode("utf-8", errors="replace").rstrip("\r\n"), is_stderr)
    for reader in readers:
        reader.join()
    code = process.returncode
    return Outcome(
        exit_code=code if code >= 0 else 128 - code,
        timed_out=reason == "timed out",
        stopped=reason == "stopped",
    )


def _read_lines(stream: IO[bytes], is_stderr: bool, lines: queue.Queue[tuple[bool, bytes | None]]) -> None:
    with stream:
        for chunk in iter(lambda: stream.readline(MAX_LINE_BYTES), b""):
            lines.put((is_stderr, chunk))
    lines.put((is_stderr, None))


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(pgid, sig)
