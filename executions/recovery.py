"""Recovery from what the broker and the workers may lose (DESIGN.md §5 rules 1 and 2).

The sweep re-sends messages nobody acted on and ends the pauses that are due; the reaper ends
attempts whose worker went silent."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from flowhub.engine.pauses import elapsed_state
from flowhub.engine.registry import TaskDefinition
from flowhub.engine.states import TERMINAL, State
from namespaces.flows import parsed_revision

from .actions import task_runs_stop
from .concurrency import executions_dequeue
from .dispatch import enqueue_advance, enqueue_run_task
from .endings import execution_ended
from .flow_retry import flow_retries_due, flow_retry_perform
from .heartbeat import lease
from .logsink import BufferedLogSink
from .models import Execution, TaskRun
from .pauses import pause_task, paused_task_runs
from .subflows import subflow_child_ended
from .transitions import execution_transition, task_run_transition
from .worker import retry_delay

STALLED_AFTER = timedelta(seconds=30)
WORKER_STATES = [State.CREATED, State.RESTARTED, State.RUNNING, State.KILLING, State.RETRYING]
"""The states of a task run that a worker has, or will have."""
RETRY_GRACE = timedelta(seconds=5)
"""How late a retry's own message may be before the sweep sends another."""
SWEEP_BATCH = 500


def executions_sweep(*, now: Any = None) -> dict[str, int]:
    """Re-send the messages of work nobody picked up (DESIGN.md §5 rule 1): the broker may lose them.
    And end the pauses and perform the flow retries that are due: no message waits that long."""
    now = now or timezone.now()
    cutoff = now - STALLED_AFTER
    waiting = TaskRun.objects.filter(
        Q(state=State.CREATED, created_at__lt=cutoff)
        | Q(state=State.RESTARTED, retry_at__lt=cutoff)
        | Q(state=State.RETRYING, retry_at__lt=now - RETRY_GRACE),
        on_worker=True,
    )
    unclaimed = list(waiting.values_list("id", flat=True)[:SWEEP_BATCH])
    # An execution with no worker on it needs the executor; flowable runs stay RUNNING while it decides.
    # One whose scheduleDate is ahead is not idle but waiting; once it is due, this starts it.
    idle = list(
        Execution.objects.filter(
            state__in=[State.CREATED, State.RESTARTED, State.RUNNING, State.KILLING], updated_at__lt=cutoff
        )
        .exclude(state=State.CREATED, schedule_date__gt=now)
        .exclude(pk__in=TaskRun.objects.filter(on_worker=True, state__in=WORKER_STATES).values("execution_id"))
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    # A queued execution waits for a message sent when a slot frees; that one may be lost too.
    queued_flows = (
        Execution.objects.filter(state=State.QUEUED, updated_at__lt=cutoff)
        .order_by()
        .values_list("namespace", "flow_id")
        .distinct()[:SWEEP_BATCH]
    )
    for task_run_id in unclaimed:
        enqueue_run_task(task_run_id)
    for execution_id in idle:
        enqueue_advance(execution_id)
    due = TaskRun.objects.filter(state=State.PAUSED, resume_at__lte=now).values_list("id", flat=True)
    ended = sum(paused_task_run_end(task_run_id=task_run_id, now=now) for task_run_id in list(due[:SWEEP_BATCH]))
    dequeued = [executions_dequeue(namespace=namespace, flow_id=flow_id) for namespace, flow_id in queued_flows]
    retried = list(flow_retries_due(before=now - RETRY_GRACE)[:SWEEP_BATCH])
    for execution_id in retried:
        flow_retry_perform(execution_id=execution_id)
    return {
        "task_runs": len(unclaimed),
        "executions": len(idle),
        "queued": sum(map(len, dequeued)),
        "pauses": ended,
        "subflows": _subflows_recover(),
        "flow_retries": len(retried),
    }


def paused_task_run_end(*, task_run_id: str, now: Any = None) -> bool:
    """End a Pause task's run whose wait is over, as its task says (engine.pauses.elapsed_state).

    Its execution goes on once no other Pause holds it; CANCELLED ends the execution, its other
    unfinished runs stopped as a kill stops them. False when the run is not due, or no longer PAUSED
    (resumed, killed, or ended by a duplicate message).
    """
    now = now or timezone.now()
    with transaction.atomic():
        execution_id = TaskRun.objects.filter(pk=task_run_id).values_list("execution_id", flat=True).first()
        locked = Execution.objects.select_for_update(of=("self",)).select_related("flow_revision")
        execution = locked.filter(pk=execution_id).first()
        run = TaskRun.objects.filter(pk=task_run_id, state=State.PAUSED, resume_at__lte=now).first()
        if execution is None or run is None:
            return False
        target = elapsed_state(pause_task(parsed_revision(execution.flow_revision), run))
        task_run_transition(run, target, **({"ended_at": now} if target in TERMINAL else {}))
        if target == State.CANCELLED:
            task_runs_stop(execution, now)
            execution_transition(execution, State.CANCELLED, ended_at=now)
            execution_ended(execution)
        elif not paused_task_runs(execution):
            execution_transition(execution, State.RUNNING)
            transaction.on_commit(partial(enqueue_advance, execution.id))
    return True


def _subflows_recover() -> int:
    """End the Subflow runs still waiting for a child that has ended; each run ends by compare-and-set.

    The executor ends such a run in the transaction that ends its child; this catches a child that
    ended on another path."""
    orphaned = Execution.objects.filter(state__in=TERMINAL, parent_task_run__state=State.RUNNING)
    recovered = 0
    for child in orphaned[:SWEEP_BATCH]:
        with transaction.atomic():
            recovered += subflow_child_ended(child=child)
    return recovered


def task_runs_reap(*, now: Any = None) -> int:
    """End the attempts whose worker is gone (DESIGN.md §5 rule 2): no heartbeat within the lease.

    A heartbeat that never came counts from the attempt's start. A running attempt is retried as
    its task's policy allows, else ends FAILED "worker lost"; a killed one ends KILLED.
    """
    now = now or timezone.now()
    expired = now - lease()
    lost = TaskRun.objects.select_related("execution__flow_revision").filter(
        Q(heartbeat_at__lt=expired) | Q(heartbeat_at__isnull=True, started_at__lt=expired),
        on_worker=True,
        state__in=[State.RUNNING, State.KILLING],
    )
    reaped = 0
    for run in lost[:SWEEP_BATCH]:
        task = parsed_revision(run.execution.flow_revision).task(run.task_id)
        with transaction.atomic():
            if run.state == State.KILLING:
                ended = task_run_transition(run, State.KILLED, ended_at=now)
            else:
                ended = _worker_lost(run, task, now)
            if ended:
                _end_worker_held_children(run, now)
                transaction.on_commit(partial(enqueue_advance, run.execution_id))
                reaped += 1
    return reaped


def _end_worker_held_children(run: TaskRun, now: Any) -> None:
    """End what the lost worker ran inside `run` (a WorkingDirectory's tasks, which have no lease of their own):
    the one running FAILED "worker lost", any other KILLED."""
    for child in run.children.filter(on_worker=False).exclude(state__in=[state.value for state in TERMINAL]):
        if child.state == State.RUNNING and task_run_transition(child, State.FAILED, ended_at=now):
            sink = BufferedLogSink(run.execution, child)
            sink.emit("ERROR", f"worker lost: its WorkingDirectory '{run.task_id}' ended with its worker")
            sink.flush()
        elif child.state != State.RUNNING:
            task_run_transition(child, State.KILLED, ended_at=now)


def _worker_lost(run: TaskRun, task: TaskDefinition, now: Any) -> bool:
    """End an attempt whose worker is gone: retried as its policy allows, else FAILED. False if its worker
    answered after all."""
    delay = retry_delay(task, run, lambda value: value)
    target = State.FAILED if delay is None else State.RETRYING
    fields = {"ended_at": now} if delay is None else {"retry_at": now + delay}
    if not task_run_transition(run, target, **fields):
        return False
    worker = run.worker_id or "its worker"
    retrying = "" if delay is None else f"; attempt {run.attempt + 1} in {delay}"
    sink = BufferedLogSink(run.execution, run)
    sink.emit("ERROR", f"worker lost: no heartbeat from {worker} within {lease().total_seconds():.0f} s{retrying}")
    sink.flush()
    if delay is not None:
        transaction.on_commit(partial(enqueue_run_task, run.id, delay))
    return True
