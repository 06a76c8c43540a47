"""What users do to a running execution: kill it, pause it at the next task boundary, resume it, skip a task run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.inputs import InputSpec
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.states import STATUS_CHANGE_TARGETS, TERMINAL, State
from flowhub.exceptions import Conflict, NotFound
from namespaces.flows import parsed_revision

from . import pauses
from .dispatch import enqueue_advance
from .endings import execution_ended
from .models import Execution, TaskRun
from .services import check_user_labels, file_inputs_stored
from .subflows import subflow_children
from .transitions import execution_status_change, execution_transition, task_run_transition


def execution_kill(*, execution_id: str, cascade: bool = True) -> Execution:
    """Kill an execution: tasks not started never start, flowable tasks end KILLED, and a worker's running
    task ends KILLED when the worker stops (KILLING until then). Conflict when it has already ended.

    With `cascade`, the executions its Subflow runs started are killed too, each in its own transaction
    once this one committed: a parent's lock is never held while a child's is awaited."""
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if State(execution.state) in TERMINAL:
            raise Conflict(f"execution '{execution_id}' has already ended ({execution.state})")
        now = timezone.now()
        if State(execution.state) in (State.CREATED, State.QUEUED, State.RETRYING):  # nothing runs
            execution_transition(execution, State.KILLED, ended_at=now)
            execution_ended(execution)
        elif execution.state != State.KILLING:
            execution_transition(execution, State.KILLING)
        task_runs_stop(execution, now)
        transaction.on_commit(partial(enqueue_advance, execution.id))
        audit_record(action=AuditAction.EXECUTION_KILL, namespace=execution.namespace, target=execution_id)
    if cascade:
        for child_id in subflow_children(execution_id=execution_id):
            with suppress(Conflict):  # it ended meanwhile
                execution_kill(execution_id=child_id)
    return execution


def task_runs_stop(execution: Execution, now: Any) -> None:
    """End its unfinished task runs: a running attempt is asked to stop (KILLING; KILLED once its worker has
    stopped), the others end KILLED at once. Under the execution's row lock."""
    for run in execution.task_runs.exclude(state__in=[state.value for state in TERMINAL]):
        if run.on_worker and run.state == State.RUNNING:
            task_run_transition(run, State.KILLING)
        elif run.state != State.KILLING:
            task_run_transition(run, State.KILLED, ended_at=now)


def execution_pause(*, execution_id: str) -> Execution:
    """Pause a running execution at the next task boundary: what runs goes on, nothing new starts."""
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if execution.state != State.RUNNING:
            raise Conflict(f"only a running execution can be paused; '{execution_id}' is {execution.state}")
        execution_transition(execution, State.PAUSED)
        audit_record(action=AuditAction.EXECUTION_PAUSE, namespace=execution.namespace, target=execution_id)
    return execution


def execution_resume(
    *,
    execution_id: str,
    inputs: Mapping[str, Any] | None = None,
    files: Mapping[str, UploadedFile] | None = None,
    recorded_as: AuditAction = AuditAction.EXECUTION_RESUME,
) -> Execution:
    """Resume a paused execution where it stopped.

    Paused by Pause tasks, their PAUSED runs all end as resumed, with the `onResume` inputs given: validated
    as flow inputs are, FILE uploads stored; Invalid, and nothing changes, when one does not fit. Paused by
    a person, it takes no inputs. Audited as `recorded_as`: a force-run resumes too.
    """
    with _onresume_inputs(execution_id, inputs, files, keep=True) as (parsed, _, values), transaction.atomic():
        execution = execution_locked(execution_id)
        _check_paused(execution)
        paused = pauses.paused_task_runs(execution)
        if {run.id for run in paused} != set(values):  # a pause ended or began since they were validated
            raise Conflict(f"execution '{execution_id}' changed while it was being resumed; try again")
        pauses.task_runs_resume(parsed, paused, values, timezone.now())
        execution_transition(execution, State.RUNNING)
        transaction.on_commit(partial(enqueue_advance, execution.id))
        audit_record(action=recorded_as, namespace=execution.namespace, target=execution_id)
    return execution


def execution_resume_validate(
    *, execution_id: str, inputs: Mapping[str, Any] | None = None, files: Mapping[str, UploadedFile] | None = None
) -> list[tuple[InputSpec, Any]]:
    """What `execution_resume` would take, changing nothing: each `onResume` input with the value it would get.

    Invalid as `execution_resume` would be. FILE uploads are stored for the check, then removed.
    """
    with _onresume_inputs(execution_id, inputs, files, keep=False) as (parsed, paused, values):
        return pauses.onresume_given(parsed, paused, values)


@contextmanager
def _onresume_inputs(
    execution_id: str, inputs: Mapping[str, Any] | None, files: Mapping[str, UploadedFile] | None, keep: bool
) -> Iterator[tuple[ParsedFlow, list[TaskRun], dict[str, dict[str, Any]]]]:
    """A paused execution's PAUSED task runs and their `onResume` inputs by run id, FILE uploads stored for
    the block (and after it, if `keep`). Looked at without a lock: no slow storage I/O while holding one."""
    execution = _paused(execution_id)
    parsed = parsed_revision(execution.flow_revision)
    paused = pauses.paused_task_runs(execution)
    specs = pauses.onresume_specs(parsed, paused)
    with file_inputs_stored(parsed, specs, execution_id, files or {}, keep=keep) as stored:
        yield parsed, paused, pauses.onresume_values(parsed, paused, {**(inputs or {}), **stored})


def _paused(execution_id: str) -> Execution:
    execution = Execution.objects.select_related("flow_revision").filter(pk=execution_id).first()
    if execution is None:
        raise NotFound(f"no execution '{execution_id}'")
    _check_paused(execution)
    return execution


def _check_paused(execution: Execution) -> None:
    if execution.state != State.PAUSED:
        raise Conflict(f"only a paused execution can be resumed; '{execution.id}' is {execution.state}")


def execution_labels_replace(*, execution_id: str, labels: list[tuple[str, str]]) -> Execution:
    """Kestra's labels action: the labels of an ended execution other than its `system.` ones become `labels`
    (the last of a repeated key wins). Conflict while it runs; Invalid for a system label a user may not set."""
    check_user_labels(labels)
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if State(execution.state) not in TERMINAL:
            raise Conflict(f"only an ended execution's labels can be set; '{execution_id}' is {execution.state}")
        given = dict(labels)
        kept = {label["key"]: label["value"] for label in execution.labels if label["key"].startswith("system.")}
        execution.labels = [{"key": key, "value": value} for key, value in {**kept, **given}.items()]
        execution.updated_at = timezone.now()
        execution.save(update_fields=["labels", "updated_at"])
        audit_record(action=AuditAction.EXECUTION_LABEL, namespace=execution.namespace, target=execution_id)
    return execution


def execution_status_set(*, execution_id: str, status: State) -> Execution:
    """Kestra's change-status: give an ended execution another end, `status` (one of `STATUS_CHANGE_TARGETS`), to
    correct what it says (a failure that was none, a success to count as failed). Conflict while it has not ended;
    the same state again changes nothing.

    Only its state changes, with an entry in its history: its task runs, outputs and labels stay as they are, and
    nothing that follows an end happens again (no flow trigger fires, no Subflow run or queue moves on)."""
    if status not in STATUS_CHANGE_TARGETS:
        raise ValueError(f"{status} is not a state an execution's status can be changed to")
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if State(execution.state) not in TERMINAL:
            raise Conflict(f"only an ended execution's status can be changed; '{execution_id}' is {execution.state}")
        previous = execution.state
        if previous != status:
            execution_status_change(execution, status)
            audit_record(
                action=AuditAction.EXECUTION_STATUS, namespace=execution.namespace, target=execution_id,
                previous=previous, state=status.value,
            )  # fmt: skip
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
        audit_record(
            action=AuditAction.TASK_RUN_SKIP, namespace=execution.namespace, target=execution_id, taskRun=task_run_id
        )
    return execution


def execution_locked(execution_id: str) -> Execution:
    """The execution, its row locked for the transaction: the executor waits while an action applies."""
    execution = Execution.objects.select_for_update(of=("self",)).filter(pk=execution_id).first()
    if execution is None:
        raise NotFound(f"no execution '{execution_id}'")
    return execution
