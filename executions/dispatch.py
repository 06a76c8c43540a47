"""Sending the two kinds of Celery message. By name, so services need not import the task modules."""

from __future__ import annotations

from datetime import timedelta

from flowhub.celery import app

ADVANCE = "executions.advance"
RUN_TASK = "executions.run_task"
RETRY_FLOW = "executions.retry_flow"


def enqueue_advance(execution_id: str) -> None:
    app.send_task(ADVANCE, args=[execution_id])


MAX_COUNTDOWN = timedelta(minutes=1)
"""Longer retry delays wait for the sweep rather than sit in a worker as a delayed message."""


def enqueue_run_task(task_run_id: str, delay: timedelta | None = None) -> None:
    if delay is None:
        app.send_task(RUN_TASK, args=[task_run_id])
    elif delay <= MAX_COUNTDOWN:
        app.send_task(RUN_TASK, args=[task_run_id], countdown=delay.total_seconds())


def enqueue_flow_retry(execution_id: str, delay: timedelta) -> None:
    """A short delay also goes as a delayed message; the sweep performs a long one when it is due."""
    if delay <= MAX_COUNTDOWN:
        app.send_task(RETRY_FLOW, args=[execution_id], countdown=delay.total_seconds())
