"""Deleting executions with their task runs, log lines and stored files, and deleting log lines alone."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.exceptions import Conflict

from .actions import execution_kill, execution_locked
from .files import execution_files_delete
from .models import Execution, LogEntry, Trigger


@dataclass(frozen=True)
class Deletion:
    execution_id: str
    logs: int
    files: int


def execution_delete(
    *, execution_id: str, include_non_terminated: bool = False, delete_storage: bool = True
) -> Deletion:
    """Delete an ended execution with its task runs and log lines; then, with `delete_storage`, its stored files,
    once the rows are gone: no transaction waits on storage.

    One that has not ended is a Conflict, unless `include_non_terminated`: it is then killed first, with the
    executions its Subflow runs started, so that its flow's queue moves on and a parent waiting for it goes on; a
    task still running on a worker stops within a second, finding its run gone. What pointed at it lets go: its
    Subflow children and replays keep their rows without a parent, a trigger forgets it as its last execution.
    """
    if include_non_terminated:
        with suppress(Conflict):  # it has ended, or ended meanwhile
            execution_kill(execution_id=execution_id)
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if not include_non_terminated and not execution.is_terminal:
            raise Conflict(
                f"execution '{execution_id}' has not ended ({execution.state}): kill it first, "
                "or delete it with includeNonTerminated"
            )
        Trigger.objects.filter(last_execution_id=execution.id).update(last_execution_id="")
        _, deleted = execution.delete()
        audit_record(action=AuditAction.EXECUTION_DELETE, namespace=execution.namespace, target=execution_id)
    files = (
        execution_files_delete(namespace=execution.namespace, flow_id=execution.flow_id, execution_id=execution_id)
        if delete_storage
        else 0
    )
    return Deletion(execution_id, logs=deleted.get(LogEntry._meta.label, 0), files=files)


def logs_delete(*, execution: Execution, logs: QuerySet[LogEntry]) -> int:
    """Delete the log lines (of `execution`); how many there were."""
    return _logs_deleted(logs, namespace=execution.namespace, target=execution.id)


def flow_logs_delete(*, namespace: str, flow_id: str, trigger_id: str | None = None) -> int:
    """Delete the log lines of the flow's executions, of those its trigger `trigger_id` started if given (flowhub
    keeps no line of a trigger's own, only its executions'); how many there were."""
    logs = LogEntry.objects.filter(execution__namespace=namespace, execution__flow_id=flow_id)
    if trigger_id is not None:
        logs = logs.filter(execution__trigger__id=trigger_id)
    return _logs_deleted(logs, namespace=namespace, target=flow_id, trigger=trigger_id)


def _logs_deleted(logs: QuerySet[LogEntry], *, namespace: str, target: str, **detail: Any) -> int:
    with transaction.atomic():
        deleted, _ = logs.delete()
        audit_record(action=AuditAction.LOGS_DELETE, namespace=namespace, target=target, count=deleted, **detail)
    return deleted
