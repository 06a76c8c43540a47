"""Aggregate reads of executions and task runs, for `/metrics` and `GET /stats/executions`.

Each is one grouped query that an index serves: the executions by (namespace, state), the ones
created or ended within a window by their dates, the task runs waiting or running by state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from access.roles import Access, Role
from access.selectors import namespace_q
from flowhub.engine.states import TERMINAL, State

from .models import Execution, TaskRun

FINISHED = (State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED)
"""The outcomes a success rate counts: RETRIED handed over to another execution and is none."""
SUCCEEDED = (State.SUCCESS, State.WARNING)
WAITING_TASK_RUNS = (State.CREATED, State.RESTARTED, State.RETRYING)
"""A worker's task run in these states waits for a worker to take it."""


def execution_counts() -> list[tuple[str, str, int]]:
    """`(namespace, state, executions)` for every namespace and state that has some."""
    rows = Execution.objects.order_by().values_list("namespace", "state").annotate(count=Count("*"))
    return list(rows)


def executions_ended_since(*, since: datetime) -> list[tuple[str, str, int]]:
    """`(namespace, state, executions)` of the executions that ended since `since`.

    An execution's last change is its ending, so the (state, updated_at) index finds them."""
    ended = Execution.objects.filter(state__in=TERMINAL, updated_at__gte=since, ended_at__gte=since)
    return list(ended.order_by().values_list("namespace", "state").annotate(count=Count("*")))


@dataclass
class DurationHistogram:
    """Task-run durations of one namespace and final state: how many took at most each bound, in all, their sum."""

    namespace: str
    state: str
    at_most: list[int] = field(default_factory=list)
    count: int = 0
    total_seconds: float = 0.0


def task_run_durations_since(*, since: datetime, bounds: Sequence[float]) -> list[DurationHistogram]:
    """The durations (start of their last attempt to their end) of the task runs that ended since `since`."""
    duration = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    buckets = {
        f"le_{index}": Count("id", filter=Q(duration__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(bounds)
    }
    rows = (
        TaskRun.objects.filter(ended_at__gte=since, started_at__isnull=False)
        .annotate(duration=duration)
        .order_by()
        .values("execution__namespace", "state")
        .annotate(count=Count("id"), total=Sum("duration"), **buckets)
    )
    return [
        DurationHistogram(
            namespace=row["execution__namespace"],
            state=row["state"],
            at_most=[row[f"le_{index}"] for index in range(len(bounds))],
            count=row["count"],
            total_seconds=row["total"].total_seconds() if row["total"] is not None else 0.0,
        )
        for row in rows
    ]


def task_runs_waiting() -> list[tuple[str, int]]:
    """`(state, task runs)` of the task runs waiting for a worker."""
    waiting = TaskRun.objects.filter(on_worker=True, state__in=WAITING_TASK_RUNS)
    return list(waiting.order_by().values_list("state").annotate(count=Count("*")))


@dataclass(frozen=True)
class WorkerLease:
    worker_id: str
    running: int
    last_heartbeat: datetime
    """The latest heartbeat of its running attempts (an attempt yet to beat counts from its start)."""


def worker_leases() -> list[WorkerLease]:
    """Each worker running attempts now, with how many and its latest heartbeat."""
    running = TaskRun.objects.filter(on_worker=True, state=State.RUNNING).exclude(worker_id="")
    rows = (
        running.order_by()
        .values("worker_id")
        .annotate(count=Count("*"), last=Max(Coalesce("heartbeat_at", "started_at")))
        .filter(last__isnull=False)
    )
    return [WorkerLease(row["worker_id"], row["count"], row["last"]) for row in rows]


@dataclass(frozen=True)
class ExecutionStats:
    counts: dict[str, int]
    """Executions by state."""
    average_duration: timedelta | None
    """Over the finished executions; None when none finished."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return sum(self.counts.get(state, 0) for state in FINISHED)

    @property
    def success_rate(self) -> float | None:
        """SUCCESS and WARNING among the finished ones; None when none finished."""
        if not self.finished:
            return None
        return sum(self.counts.get(state, 0) for state in SUCCEEDED) / self.finished


def execution_stats(
    *, access: Access, start: datetime, end: datetime, namespace: str | None = None, flow_id: str | None = None
) -> ExecutionStats:
    """The executions the caller sees created from `start` until before `end`, under the `namespace` prefix, of
    `flow_id`."""
    window = Execution.objects.filter(namespace_q(access, Role.VIEWER), created_at__gte=start, created_at__lt=end)
    executions = _scoped(window, namespace, flow_id)
    counts = dict(executions.order_by().values_list("state").annotate(count=Count("*")))
    duration = ExpressionWrapper(F("ended_at") - F("created_at"), output_field=DurationField())
    finished = executions.filter(state__in=FINISHED, ended_at__isnull=False)
    average = finished.aggregate(average=Avg(duration, output_field=DurationField()))["average"]
    return ExecutionStats(counts=counts, average_duration=average)


def _scoped(executions: QuerySet[Execution], namespace: str | None, flow_id: str | None) -> QuerySet[Execution]:
    if namespace:
        executions = executions.filter(Q(namespace=namespace) | Q(namespace__startswith=f"{namespace}."))
    if flow_id:
        executions = executions.filter(flow_id=flow_id)
    return executions
