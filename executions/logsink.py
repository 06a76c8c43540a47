"""Collecting a task run's log lines and storing them in batches, within a byte budget per attempt.

A batch is stored once it holds `FLUSH_LINES` lines, or once its oldest line has waited
`FLUSH_SECONDS` (checked at each line, and while a script is quiet), so that a long task's lines
show while it runs, in a few writes however many lines it prints. Past `FLOWHUB_MAX_LOG_BYTES_PER_RUN`
bytes an attempt's further lines are dropped, after one WARN line that says so (DESIGN.md §5 rule 5).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from .models import Execution, LogEntry, TaskRun

FLUSH_LINES = 500
FLUSH_SECONDS = 1.0
MAX_VERDICT_CHARS = 64 * 1024
"""The worker's own closing lines (why an attempt failed) are kept past the budget, this long at most."""


class BufferedLogSink:
    """Lines below `min_level` (a task's `logLevel`) are dropped, and do not count against the budget."""

    def __init__(
        self,
        execution: Execution,
        task_run: TaskRun | None = None,
        min_level: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.execution = execution
        self.task_run = task_run
        self.min_rank = LogEntry.LEVELS.index(min_level) if min_level else 0
        self.entries: list[LogEntry] = []
        self.budget: int = settings.FLOWHUB_MAX_LOG_BYTES_PER_RUN
        self.truncated = False
        self._clock = clock
        self._oldest_at = 0.0

    def emit(self, level: str, message: str, *, verdict: bool = False) -> None:
        """Hold a line for the next batch. A `verdict` (the worker's word on the attempt) is kept even
        past the budget, shortened to `MAX_VERDICT_CHARS`."""
        if verdict:
            self._hold(level, message[:MAX_VERDICT_CHARS])
            return
        if self.truncated or LogEntry.LEVELS.index(level) < self.min_rank:
            return
        size = len(message.encode("utf-8", errors="replace"))
        if size > self.budget:
            self.truncated = True
            limit = settings.FLOWHUB_MAX_LOG_BYTES_PER_RUN
            message, level = f"log output truncated: more than {limit} bytes; later lines are dropped", "WARN"
        self.budget -= size
        self._hold(level, message)
        if len(self.entries) >= FLUSH_LINES:
            self.flush()
        else:
            self.flush_if_due()

    def flush_if_due(self) -> None:
        if self.entries and self._clock() - self._oldest_at >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        LogEntry.objects.bulk_create(self.entries)
        self.entries = []

    def _hold(self, level: str, message: str) -> None:
        if not self.entries:
            self._oldest_at = self._clock()
        self.entries.append(
            LogEntry(
                execution=self.execution,
                task_run=self.task_run,
                task_id=self.task_run.task_id if self.task_run else None,
                attempt=self.task_run.attempt if self.task_run else None,
                level=level,
                message=message,
                timestamp=timezone.now(),
            )
        )
