"""Reads of executions and logs, with what their serializers touch prefetched."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import reduce
from operator import or_
from typing import IO

from django.db import connection
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from access.roles import Access, Role
from access.selectors import namespace_q
from flowhub.api.filters import Filter
from flowhub.engine.planner import Snapshot
from flowhub.engine.progress import Progress, progress
from flowhub.engine.states import TERMINAL, State
from flowhub.exceptions import NotFound
from namespaces.flows import parsed_revision

from .files import execution_file_open, execution_file_size, execution_prefix
from .models import Execution, LogEntry, TaskRun
from .search import executions_matching, logs_matching


def execution_get(*, execution_id: str) -> Execution:
    execution = (
        Execution.objects.select_related("flow_revision").prefetch_related("task_runs").filter(pk=execution_id).first()
    )
    if execution is None:
        raise NotFound(f"execution '{execution_id}' does not exist")
    return execution


def task_run_get(*, execution_id: str, task_run_id: str) -> TaskRun:
    """A task run of the execution; NotFound, naming which, when either is unknown."""
    if not Execution.objects.filter(pk=execution_id).exists():
        raise NotFound(f"execution '{execution_id}' does not exist")
    task_run = TaskRun.objects.filter(execution_id=execution_id, pk=task_run_id).first()
    if task_run is None:
        raise NotFound(f"execution '{execution_id}' has no task run '{task_run_id}'")
    return task_run


def execution_search(*, access: Access, conditions: Sequence[Filter]) -> QuerySet[Execution]:
    """The executions the caller sees matching every condition (`search.EXECUTION_FILTERS`), with what their
    JSON shows."""
    executions = executions_matching(conditions=conditions).filter(namespace_q(access, Role.VIEWER))
    return executions.select_related("flow_revision").prefetch_related("task_runs")


def execution_flow_current_revision(*, execution_id: str) -> int | None:
    """The current revision of the flow `execution_id` ran; None for an unknown execution."""
    executions = Execution.objects.filter(pk=execution_id)
    return executions.values_list("flow_revision__flow__current__revision", flat=True).first()


def execution_ids_allowed(*, access: Access, role: Role, execution_ids: Sequence[str]) -> list[str]:
    """Those of `execution_ids` whose namespace grants the caller `role`: a bulk action leaves the others out,
    as it does unknown ids."""
    allowed = Execution.objects.filter(namespace_q(access, role), pk__in=execution_ids)
    return list(allowed.values_list("pk", flat=True))


def executions_latest(*, access: Access, flows: Sequence[tuple[str, str]]) -> list[Execution]:
    """For each flow, `(namespace, flow id)`, in a namespace the caller sees, its execution that ended last, in
    the order of `flows`; a flow with none is left out. One query, whatever the number of flows."""
    if not flows:
        return []
    wanted = reduce(or_, (Q(namespace=namespace, flow_id=flow_id) for namespace, flow_id in flows))
    ended = Execution.objects.filter(wanted, namespace_q(access, Role.VIEWER), state__in=TERMINAL)
    last_ended = Window(
        RowNumber(),
        partition_by=[F("namespace"), F("flow_id")],
        order_by=[F("ended_at").desc(nulls_last=True), F("id").desc()],
    )
    latest = ended.only("id", "namespace", "flow_id", "state", "state_history").annotate(rank=last_ended)
    by_flow = {(execution.namespace, execution.flow_id): execution for execution in latest.filter(rank=1)}
    return [by_flow[flow] for flow in dict.fromkeys(flows) if flow in by_flow]


def execution_progress(*, execution: Execution) -> Progress:
    """How far `execution` has got, from its task runs (prefetched by the selectors here)."""
    runs = tuple(run.view() for run in execution.task_runs.all())
    return progress(Snapshot(parsed_revision(execution.flow_revision), State(execution.state), runs))


def log_list(
    *,
    execution: Execution,
    min_level: str | None = None,
    task_id: str | None = None,
    task_run_id: str | None = None,
    attempt: int | None = None,
) -> QuerySet[LogEntry]:
    logs = LogEntry.objects.filter(execution=execution).select_related("execution").order_by("timestamp", "id")
    if min_level is not None:
        logs = logs.filter(level__in=LogEntry.LEVELS[LogEntry.LEVELS.index(min_level) :])
    if task_id is not None:
        logs = logs.filter(task_id=task_id)
    if task_run_id is not None:
        logs = logs.filter(task_run_id=task_run_id)
    if attempt is not None:
        logs = logs.filter(attempt=attempt)
    return logs


def log_search(*, access: Access, conditions: Sequence[Filter]) -> QuerySet[LogEntry]:
    """The log lines the caller sees matching every condition (`search.LOG_FILTERS`), with their execution (for
    its namespace)."""
    logs = logs_matching(conditions=conditions).filter(namespace_q(access, Role.VIEWER, "execution__namespace"))
    return logs.select_related("execution")


LOG_BATCH = 1000


def log_batches(*, logs: QuerySet[LogEntry], size: int = LOG_BATCH) -> Iterator[list[LogEntry]]:
    """The log lines in order of time, `size` per query, for a download however long; without their execution,
    which every row would otherwise carry and decode again.

    Outside a transaction the connection is closed after each query: a download streams for as long as its
    client reads, and under ASGI each batch may be fetched by another thread, whose connection nothing else
    would close."""
    ordered = logs.select_related(None).order_by("timestamp", "id")
    last: LogEntry | None = None
    while True:
        # The range on `timestamp` alone lets the index skip what was read; the OR only sorts out equal times.
        after = (
            Q(timestamp__gte=last.timestamp) & (Q(timestamp__gt=last.timestamp) | Q(id__gt=last.id)) if last else Q()
        )
        batch = list(ordered.filter(after)[:size])
        if not connection.in_atomic_block:
            connection.close()
        if not batch:
            return
        yield batch
        last = batch[-1]


def execution_file_get(*, execution: Execution, uri: str) -> tuple[IO[bytes], int]:
    """A stored file of `execution` by its `kestra:///` URI (the `path` parameter): its stream and size.
    Another execution's file is Invalid."""
    size = execution_file_size_get(execution=execution, uri=uri)
    return execution_file_open(prefixes=[_files_prefix(execution)], uri=uri, field="path"), size


def execution_file_size_get(*, execution: Execution, uri: str) -> int:
    return execution_file_size(prefixes=[_files_prefix(execution)], uri=uri, field="path")


def _files_prefix(execution: Execution) -> str:
    return execution_prefix(execution.namespace, execution.flow_id, execution.id)
