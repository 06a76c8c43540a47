"""Collecting a task run's log lines in memory and writing them in one batch, within a byte budget."""

from __future__ import annotations

from django.utils import timezone

from .models import Execution, LogEntry, TaskRun

MAX_LOG_BYTES_PER_RUN = 1024 * 1024


class BufferedLogSink:
    """Lines below `min_level` (a task's `logLevel`) are dropped, and do not count against the budget."""

    def __init__(self, execution: Execution, task_run: TaskRun | None = None, min_level: str | None = None):
        self.execution = execution
        self.task_run = task_run
        self.min_rank = LogEntry.LEVELS.index(min_level) if min_level else 0
        self.entries: list[LogEntry] = []
        self.budget = MAX_LOG_BYTES_PER_RUN
        self.truncated = False

    def emit(self, level: str, message: str) -> None:
        if self.truncated or LogEntry.LEVELS.index(level) < self.min_rank:
            return
        size = len(message.encode("utf-8", errors="replace"))
        if size > self.budget:
            self.truncated = True
            message, level = f"log output truncated: more than {MAX_LOG_BYTES_PER_RUN} bytes", "WARN"
        self.budget -= size
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

    def flush(self) -> None:
        LogEntry.objects.bulk_create(self.entries)
        self.entries = []
