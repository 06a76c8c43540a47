"""Sending the two kinds of Celery message. By name, so services need not import the task modules."""

from __future__ import annotations

from flowhub.celery import app

ADVANCE = "executions.advance"
RUN_TASK = "executions.run_task"


def enqueue_advance(execution_id: str) -> None:
    app.send_task(ADVANCE, args=[execution_id])


def enqueue_run_task(task_run_id: str) -> None:
    app.send_task(RUN_TASK, args=[task_run_id])
