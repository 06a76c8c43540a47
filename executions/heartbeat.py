"""A running attempt's lease (DESIGN.md §5 rule 2): its worker refreshes `heartbeat_at` while it runs.

The reaper (`recovery.task_runs_reap`) ends the attempts whose lease expired: their worker died,
or lost the database. The first beat comes within one interval of the start, which `started_at` covers.

Between beats, the runs' states are read once a second, so that a kill or a skip stops the task within
about a second rather than a beat (5 s by default). One thread per worker process does both, for every
attempt running in it, in one query each: a read a second, an UPDATE a beat.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from types import TracebackType

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from flowhub.engine.states import State

from .models import TaskRun

logger = logging.getLogger(__name__)


def lease() -> timedelta:
    """How long an attempt may go without a heartbeat before the reaper counts its worker lost."""
    return timedelta(seconds=settings.FLOWHUB_TASK_LEASE_SECONDS)


def interval() -> timedelta:
    return lease() / 6  # several beats per lease: a missed one or two do not cost the attempt


STATE_CHECK = timedelta(seconds=1)
"""How often a running attempt checks that it is still RUNNING (not killed, not skipped)."""


class Heartbeat:
    """While entered, the run's `heartbeat_at` is stamped every `interval()`, and `stop` is set once the run
    is no longer RUNNING (it was killed or skipped), so that the task ends. One thread per process beats
    for every run entered in it: an attempt starts no thread of its own."""

    def __init__(self, task_run_id: str, stop: threading.Event):
        self.task_run_id = task_run_id
        self.stop = stop

    def __enter__(self) -> Heartbeat:
        _Beating.of_this_process().add(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _Beating.of_this_process().discard(self)


class _Beating:
    """The runs entered in this process, and the thread that beats for them every `interval()`."""

    _instance: _Beating | None = None
    _creating = threading.Lock()

    @classmethod
    def of_this_process(cls) -> _Beating:
        with cls._creating:
            # A forked worker process inherits the parent's object but not its thread: it starts its own.
            if cls._instance is None or cls._instance.pid != os.getpid():
                cls._instance = cls()
            return cls._instance

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._runs: set[Heartbeat] = set()
        self._emptied = threading.Event()
        threading.Thread(target=self._beat_forever, name="heartbeat", daemon=True).start()

    def add(self, run: Heartbeat) -> None:
        with self._lock:
            self._runs.add(run)

    def discard(self, run: Heartbeat) -> None:
        with self._lock:
            self._runs.discard(run)
            if not self._runs:
                self._emptied.set()

    def _beat_forever(self) -> None:
        beat_every = interval().total_seconds()
        next_beat = time.monotonic() + beat_every
        while True:
            self._emptied.wait(min(STATE_CHECK, interval()).total_seconds())
            self._emptied.clear()
            with self._lock:
                runs = list(self._runs)
            if not runs:
                connection.close()  # no run left to beat for: hold no connection while idle
                continue
            try:
                running = TaskRun.objects.filter(pk__in=[run.task_run_id for run in runs], state=State.RUNNING)
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + beat_every
                    running.update(heartbeat_at=timezone.now())
                still_running = set(running.values_list("pk", flat=True))
            except DatabaseError:
                continue  # a missed beat or check; the lease allows several
            except Exception:  # the thread beats for every run of this process: no one error may end it
                logger.exception("a heartbeat round failed")
                continue
            for run in runs:
                if run.task_run_id not in still_running:
                    run.stop.set()  # killed or skipped: the task is asked to end
            close_old_connections()  # this thread's own connection, by Django's rule between requests
