"""Celery entry points: thin wrappers that call services with ids (DESIGN.md §1)."""

from __future__ import annotations

import os
import socket

from celery import shared_task
from django.db import DatabaseError

from . import executor, flow_retry, recovery, schedules, worker
from .dispatch import ADVANCE, PAUSE_END, RETRY_FLOW, RUN_TASK

# Only infrastructure errors are retried by Celery; a failing user task is a state, not an exception.
_INFRASTRUCTURE_RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name=ADVANCE, **_INFRASTRUCTURE_RETRY)
def advance(execution_id: str) -> None:
    executor.execution_advance(execution_id=execution_id)


@shared_task(name=RUN_TASK, **_INFRASTRUCTURE_RETRY)
def run_task(task_run_id: str) -> None:
    # Computed per call: prefork children have their own pids.
    worker.task_run_execute(task_run_id=task_run_id, worker_id=f"{socket.gethostname()}:{os.getpid()}")


@shared_task(name=PAUSE_END, **_INFRASTRUCTURE_RETRY)
def pause_end(task_run_id: str) -> None:
    recovery.paused_task_run_end(task_run_id=task_run_id)


@shared_task(name=RETRY_FLOW, **_INFRASTRUCTURE_RETRY)
def retry_flow(execution_id: str) -> None:
    flow_retry.flow_retry_perform(execution_id=execution_id)


@shared_task(name="executions.sweep")
def sweep() -> dict[str, int]:
    return recovery.executions_sweep()


@shared_task(name="executions.reap")
def reap() -> int:
    return recovery.task_runs_reap()


@shared_task(name="executions.schedule_tick")
def schedule_tick() -> int:
    return schedules.schedule_tick()
