"""A running attempt's lease (DESIGN.md §5 rule 2): its worker refreshes `heartbeat_at` while it runs.

The reaper (`recovery.task_runs_reap`) ends the attempts whose lease expired: their worker died,
or lost the database. The first beat comes one interval after the start, which `started_at` covers.
"""

from __future__ import annotations

import threading
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


class Heartbeat:
    """While entered, a thread stamps the run's `heartbeat_at` every `interval()`, and sets `stop` once the
    run is no longer RUNNING (it was killed), so that the task ends."""

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
        try:
            while not self._stop.wait(interval().total_seconds()):
                try:
                    running = TaskRun.objects.filter(pk=self.task_run_id, state=State.RUNNING)
                    if not running.update(heartbeat_at=timezone.now()):
                        self.stop.set()
                except DatabaseError:
                    continue  # a missed beat; the lease allows several
        finally:
            connection.close()  # this thread's own connection
