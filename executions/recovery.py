"""Recovery from what the broker and the workers may lose (DESIGN.md §5 rules 1 and 2).

The sweep re-sends messages nobody acted on; the reaper ends attempts whose worker went silent."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from flowhub.engine.registry import TaskDefinition
from flowhub.engine.states import TERMINAL, State
from namespaces.flows import parsed_revision

from .dispatch import enqueue_advance, enqueue_run_task
from .heartbeat import lease
from .logsink import BufferedLogSink
from .models import Execution, TaskRun
from .transitions import task_run_transition
from .worker import retry_delay

STALLED_AFTER = timedelta(seconds=30)
WORKER_STATES = [State.CREATED, State.RUNNING, State.KILLING, State.RETRYING]
"""The states of a task run that a worker has, or will have."""
RETRY_GRACE = timedelta(seconds=5)
"""How late a retry's own message may be before the sweep sends another."""
SWEEP_BATCH = 500


def executions_sweep() -> dict[str, int]:
    """Re-send the messages of work nobody picked up (DESIGN.md §5 rule 1): the broker may lose them."""
    cutoff = timezone.now() - STALLED_AFTER
    now = timezone.now()
    waiting = TaskRun.objects.filter(
        Q(state=State.CREATED, created_at__lt=cutoff) | Q(state=State.RETRYING, retry_at__lt=now - RETRY_GRACE),
        on_worker=True,
    )
    unclaimed = list(waiting.values_list("id", flat=True)[:SWEEP_BATCH])
    # An execution with no worker on it needs the executor; flowable runs stay RUNNING while it decides.
    idle = list(
        Execution.objects.filter(state__in=[State.CREATED, State.RUNNING, State.KILLING], updated_at__lt=cutoff)
        .exclude(pk__in=TaskRun.objects.filter(on_worker=True, state__in=WORKER_STATES).values("execution_id"))
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for task_run_id in unclaimed:
        enqueue_run_task(task_run_id)
    for execution_id in idle:
        enqueue_advance(execution_id)
    return {"task_runs": len(unclaimed), "executions": len(idle)}


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
