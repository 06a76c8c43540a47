"""Reads of executions and logs, with what their serializers touch prefetched."""

from __future__ import annotations

from typing import IO

from django.db.models import QuerySet

from flowhub.engine.planner import Snapshot
from flowhub.engine.progress import Progress, progress
from flowhub.engine.states import State
from flowhub.exceptions import NotFound
from namespaces.flows import parsed_revision

from .files import execution_file_open, execution_file_size, execution_prefix
from .models import Execution, LogEntry


def execution_get(*, execution_id: str) -> Execution:
    execution = (
        Execution.objects.select_related("flow_revision").prefetch_related("task_runs").filter(pk=execution_id).first()
    )
    if execution is None:
        raise NotFound(f"execution '{execution_id}' does not exist")
    return execution


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


def execution_file_get(*, execution: Execution, uri: str) -> tuple[IO[bytes], int]:
    """A stored file of `execution` by its `kestra:///` URI (the `path` parameter): its stream and size.
    Another execution's file is Invalid."""
    size = execution_file_size_get(execution=execution, uri=uri)
    return execution_file_open(prefixes=[_files_prefix(execution)], uri=uri, field="path"), size


def execution_file_size_get(*, execution: Execution, uri: str) -> int:
    return execution_file_size(prefixes=[_files_prefix(execution)], uri=uri, field="path")


def _files_prefix(execution: Execution) -> str:
    return execution_prefix(execution.namespace, execution.flow_id, execution.id)
