"""Sending Celery messages by name (advance, run_task, a short pause's end), so services need not import tasks."""

from __future__ import annotations

from datetime import timedelta

from flowhub.celery import app

ADVANCE = "executions.advance"
RUN_TASK = "executions.run_task"
PAUSE_END = "executions.pause_end"
RETRY_FLOW = "executions.retry_flow"


MAX_COUNTDOWN = timedelta(minutes=1)
"""Longer delays wait for the sweep rather than sit in a worker as a delayed message."""


def enqueue_advance(execution_id: str, delay: timedelta | None = None) -> None:
    """Send the executor to the execution, after `delay` if given (a scheduleDate): a longer one than
    `MAX_COUNTDOWN` is left to the sweep, which starts the execution once it is due."""
    if delay is None:
        app.send_task(ADVANCE, args=[execution_id])
    elif delay <= MAX_COUNTDOWN:
        app.send_task(ADVANCE, args=[execution_id], countdown=max(0.0, delay.total_seconds()))


def enqueue_run_task(task_run_id: str, delay: timedelta | None = None) -> None:
    if delay is None:
        app.send_task(RUN_TASK, args=[task_run_id])
    elif delay <= MAX_COUNTDOWN:
        app.send_task(RUN_TASK, args=[task_run_id], countdown=delay.total_seconds())


def enqueue_pause_end(task_run_id: str, wait: timedelta) -> None:
    """End a short pause on time; a longer one ends with the sweep that finds it due."""
    if wait <= MAX_COUNTDOWN:
        app.send_task(PAUSE_END, args=[task_run_id], countdown=wait.total_seconds())


def enqueue_flow_retry(execution_id: str, delay: timedelta) -> None:
    """A short delay also goes as a delayed message; the sweep performs a long one when it is due."""
    if delay <= MAX_COUNTDOWN:
        app.send_task(RETRY_FLOW, args=[execution_id], countdown=delay.total_seconds())
