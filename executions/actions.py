"""What users do to a running execution: kill it, pause it at the next task boundary, resume it, skip a task run."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from flowhub.engine.states import TERMINAL, State
from flowhub.exceptions import Conflict, NotFound

from .dispatch import enqueue_advance
from .models import Execution, TaskRun
from .transitions import execution_transition, task_run_transition


def execution_kill(*, execution_id: str) -> Execution:
    """Kill an execution: tasks not started never start, flowable tasks end KILLED, and a worker's running
    task ends KILLED when the worker stops (KILLING until then). Conflict when it has already ended."""
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if State(execution.state) in TERMINAL:
            raise Conflict(f"execution '{execution_id}' has already ended ({execution.state})")
        now = timezone.now()
        if State(execution.state) in (State.CREATED, State.QUEUED, State.RETRYING):  # nothing runs
            execution_transition(execution, State.KILLED, ended_at=now)
        elif execution.state != State.KILLING:
            execution_transition(execution, State.KILLING)
        for run in execution.task_runs.exclude(state__in=[state.value for state in TERMINAL]):
            if run.on_worker and run.state == State.RUNNING:
                task_run_transition(run, State.KILLING)
            elif run.state != State.KILLING:
                task_run_transition(run, State.KILLED, ended_at=now)
        transaction.on_commit(partial(enqueue_advance, execution.id))
    return execution


def execution_pause(*, execution_id: str) -> Execution:
    """Pause a running execution at the next task boundary: what runs goes on, nothing new starts."""
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if execution.state != State.RUNNING:
            raise Conflict(f"only a running execution can be paused; '{execution_id}' is {execution.state}")
        execution_transition(execution, State.PAUSED)
    return execution


def execution_resume(*, execution_id: str) -> Execution:
    """Resume a paused execution where it stopped."""
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if execution.state != State.PAUSED:
            raise Conflict(f"only a paused execution can be resumed; '{execution_id}' is {execution.state}")
        execution_transition(execution, State.RUNNING)
        transaction.on_commit(partial(enqueue_advance, execution.id))
    return execution


SKIPPABLE = (State.CREATED, State.RESTARTED, State.RETRYING, State.RUNNING)
"""A task run a worker has not started, waits to retry, or runs (its worker is asked to stop)."""


def task_run_skip(*, execution_id: str, task_run_id: str) -> Execution:
    """Skip a task run that has not ended: SKIPPED counts as a success, so the flow goes on without it.

    A worker running it notices at its next state check and stops; its outcome then finds the run
    SKIPPED and changes nothing. Conflict for an ended run or a flowable task's run."""
    with transaction.atomic():
        execution = execution_locked(execution_id)
        task_run = TaskRun.objects.filter(execution=execution, pk=task_run_id).first()
        if task_run is None:
            raise NotFound(f"no task run '{task_run_id}' in execution '{execution_id}'")
        if not task_run.on_worker:
            raise Conflict(f"task run '{task_run_id}' is a flowable task's ({task_run.task_id}); skip its tasks")
        if State(task_run.state) not in SKIPPABLE:
            raise Conflict(
                f"only a created, restarted, retrying or running task run can be skipped; it is {task_run.state}"
            )
        task_run_transition(task_run, State.SKIPPED, ended_at=timezone.now(), outputs={})
        transaction.on_commit(partial(enqueue_advance, execution.id))
    return execution


def execution_locked(execution_id: str) -> Execution:
    """The execution, its row locked for the transaction: the executor waits while an action applies."""
    execution = Execution.objects.select_for_update(of=("self",)).filter(pk=execution_id).first()
    if execution is None:
        raise NotFound(f"no execution '{execution_id}'")
    return execution
