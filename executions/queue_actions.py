"""Ending an execution's wait by hand (Kestra's unqueue and force-run): a queued execution leaves its flow's
concurrency queue, started past the limit or ended without running; a created one starts now, whatever its
scheduleDate and its flow's limit. Started, it counts as running from then on: the flow admits the executions
after it only once the started ones are fewer than the limit again."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.states import TERMINAL, UNQUEUE_TARGETS, State
from flowhub.exceptions import Conflict

from .actions import execution_locked, execution_resume
from .dispatch import enqueue_advance
from .endings import execution_ended
from .models import Execution
from .transitions import execution_transition, execution_unqueue_transition


def execution_unqueue(*, execution_id: str, state: State = State.RUNNING) -> Execution:
    """Take a QUEUED execution out of its flow's concurrency queue as `state`, one of `UNQUEUE_TARGETS`: RUNNING
    starts it now, past the limit; CANCELLED or FAILED end it without running a task, and what waited for its end
    (a parent's Subflow run, flow triggers) goes on. Conflict when it is not queued."""
    if state not in UNQUEUE_TARGETS:
        raise ValueError(f"an execution cannot leave the queue as {state}")
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if execution.state != State.QUEUED:
            raise Conflict(f"only a queued execution can be unqueued; '{execution_id}' is {execution.state}")
        _leave_queue(execution, state)
        audit_record(
            action=AuditAction.EXECUTION_UNQUEUE, namespace=execution.namespace, target=execution_id,
            state=state.value,
        )  # fmt: skip
    return execution


def execution_force_run(*, execution_id: str) -> Execution:
    """Kestra's force-run: have an execution run now. CREATED, it starts whatever its scheduleDate and its flow's
    concurrency limit; QUEUED, it leaves the queue, started past the limit; PAUSED, it resumes (Invalid when a
    Pause task waits for `onResume` inputs without defaults). Any other that has not ended is sent to the executor
    again as it is, which picks up one whose message was lost. Conflict once it has ended."""
    if Execution.objects.filter(pk=execution_id, state=State.PAUSED).exists():
        # Resumed as the resume action does: its Pause tasks' inputs are checked before the row is locked.
        return execution_resume(execution_id=execution_id, recorded_as=AuditAction.EXECUTION_FORCE_RUN)
    with transaction.atomic():
        execution = execution_locked(execution_id)
        current = State(execution.state)
        if current in TERMINAL:
            raise Conflict(f"execution '{execution_id}' has already ended ({current}); it cannot be forced to run")
        if current == State.PAUSED:
            raise Conflict(f"execution '{execution_id}' was paused while it was being forced to run; try again")
        if current == State.QUEUED:
            _leave_queue(execution, State.RUNNING)
        else:
            if current == State.CREATED:
                execution_transition(execution, State.RUNNING, started_at=timezone.now())
            transaction.on_commit(partial(enqueue_advance, execution.id))
        audit_record(action=AuditAction.EXECUTION_FORCE_RUN, namespace=execution.namespace, target=execution_id)
    return execution


def _leave_queue(execution: Execution, state: State) -> None:
    """Under the execution's row lock. Started, the executor runs its tasks once we commit (being RUNNING, it is
    not asked for a slot); ended, its flow's queue moves on, as after any end."""
    execution_unqueue_transition(execution, state)
    if state == State.RUNNING:
        transaction.on_commit(partial(enqueue_advance, execution.id))
    else:
        execution_ended(execution)
