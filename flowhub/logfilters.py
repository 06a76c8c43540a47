"""Logging filters the settings install on the console handler."""

from __future__ import annotations

import logging

ROUTINE_TASKS = ("executions.schedule_tick",)
"""Celery tasks sent every second or so: Celery's INFO lines about each (sent, received, succeeded) would drown
the log, so they are dropped; such a task logs what it did itself."""


class RoutineTaskFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or not record.name.startswith("celery"):
            return True
        message = record.getMessage()
        return not any(task in message for task in ROUTINE_TASKS)
