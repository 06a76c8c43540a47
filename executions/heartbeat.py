"""A running attempt's lease (DESIGN.md §5 rule 2): its worker refreshes `heartbeat_at` while it runs.

The reaper (`recovery.task_runs_reap`) ends the attempts whose lease expired: their worker died,
or lost the database. The first beat comes one interval after the start, which `started_at` covers.

Between beats, the run's state is read once a second, so that a kill or a skip stops the task within
about a second rather than a beat (5 s by default): one primary-key read per running attempt per
second, where the beats cost one UPDATE per attempt per interval.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from types import TracebackType

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from flowhub.engine.states import State

from .models import TaskRun


def lease() -> timedelta:
    """How long an attempt may go without a heartbeat before the reaper counts its worker lost."""
    return timedelta(seconds=settings.FLOWHUB_TASK_LEASE_SECONDS)


def interval() -> timedelta:
    return lease() / 6  # several beats per lease: a missed one or two do not cost the attempt


STATE_CHECK = timedelta(seconds=1)
"""How often a running attempt checks that it is still RUNNING (not killed, not skipped)."""


class Heartbeat:
    """While entered, a thread stamps the run's `heartbeat_at` every `interval()`, and sets `stop` once the
    run is no longer RUNNING (it was killed or skipped), so that the task ends."""

    def __init__(self, task_run_id: str, stop: threading.Event):
        self.task_run_id = task_run_id
        self.stop = stop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{task_run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        beat_every = interval().total_seconds()
        next_beat = time.monotonic() + beat_every
        try:
            while not self._stop.wait(min(STATE_CHECK, interval()).total_seconds()):
                running = TaskRun.objects.filter(pk=self.task_run_id, state=State.RUNNING)
                try:
                    if time.monotonic() >= next_beat:
                        next_beat += beat_every
                        still_running = running.update(heartbeat_at=timezone.now()) == 1
                    else:
                        still_running = running.exists()
                except DatabaseError:
                    continue  # a missed beat or check; the lease allows several
                if not still_running:
                    self.stop.set()
                    return
        finally:
            connection.close()  # this thread's own connection
