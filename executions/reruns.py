"""Running an execution again (kestra-flow.md §6.4, §6.5): a restart re-runs its failed task runs in place, a
replay starts a new execution, from the start or from one of its task runs, the runs before it reused.

Which runs run again is the engine's decision (`flowhub.engine.reruns`); this module applies it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine import inputs as engine_inputs
from flowhub.engine import reruns
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.flowable import walk
from flowhub.engine.ids import new_id
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.planner import TaskRunView
from flowhub.engine.states import TERMINAL, State, check_execution_transition
from flowhub.exceptions import Conflict, Invalid
from namespaces.flows import parsed_revision
from namespaces.models import FlowRevision

from . import selectors
from .actions import execution_locked
from .dispatch import enqueue_advance, enqueue_run_task
from .models import Execution, TaskRun
from .services import file_inputs_stored, flow_revision_runnable
from .transitions import execution_transition, history_entry, task_run_reopen

RESTARTED_LABEL = "system.restarted"
REPLAY_LABEL = "system.replay"
"""On a replay: it is one."""
REPLAYED_LABEL = "system.replayed"
"""On the execution replayed."""


def execution_restart(*, execution_id: str, revision: int | None = None) -> Execution:
    """Kestra's restart: the failed and killed task runs run again, a new attempt each, in the same execution;
    what succeeded is kept. With `revision`, the restart is a new execution on that flow revision."""
    with transaction.atomic():
        execution = execution_locked(execution_id)
        if State(execution.state) not in TERMINAL:
            raise Conflict(f"Execution must be terminated to be restarted, current state is '{execution.state}' !")
        rerun = _planned(execution, reruns.restart, "executionId")
        audit_record(
            action=AuditAction.EXECUTION_RESTART, namespace=execution.namespace, target=execution_id, revision=revision
        )
        if revision is not None:
            target, _ = flow_revision_runnable(flow=execution.flow_revision.flow, revision=revision)
            return replay_create(execution, target, rerun, label=RESTARTED_LABEL)
        restart_in_place(execution, rerun, labels=_labelled(execution.labels, RESTARTED_LABEL))
    return execution


def execution_replay(
    *,
    execution_id: str,
    task_run_id: str | None = None,
    revision: int | None = None,
    inputs: Mapping[str, Any] | None = None,
    files: Mapping[str, UploadedFile] | None = None,
) -> Execution:
    """Kestra's replay of an ended execution: a new execution of the same inputs, one attempt further; from
    `task_run_id`, the runs before it are copied with their outputs and it runs again. The source is labelled
    `system.replayed`. With `inputs` (and `files`, uploads of FILE inputs), validated as a new execution's
    are, they replace the source's: Kestra's replay-with-inputs."""
    replay_id = new_id()
    if inputs is None:
        return _replay(execution_id, task_run_id, revision, replay_id, None)
    source = selectors.execution_get(execution_id=execution_id)
    _, parsed = flow_revision_runnable(
        flow=source.flow_revision.flow, revision=revision or source.flow_revision.revision
    )
    with file_inputs_stored(parsed, parsed.inputs, replay_id, files or {}) as stored:
        resolved = engine_inputs.resolve(parsed.inputs, {**inputs, **stored})
        return _replay(execution_id, task_run_id, revision, replay_id, resolved)


def _replay(
    execution_id: str, task_run_id: str | None, revision: int | None, replay_id: str, inputs: dict[str, Any] | None
) -> Execution:
    with transaction.atomic():
        source = execution_locked(execution_id)
        if State(source.state) not in TERMINAL:
            raise Conflict(f"Cannot replay execution: current state is '{source.state}', expected terminated.")
        target, _ = flow_revision_runnable(
            flow=source.flow_revision.flow, revision=revision or source.flow_revision.revision
        )
        rerun = None
        if task_run_id is not None:
            rerun = _planned(source, partial(reruns.replay, task_run_id=task_run_id), "taskRunId")
        replay = replay_create(source, target, rerun, label=REPLAY_LABEL, replay_id=replay_id, inputs=inputs)
        audit_record(
            action=AuditAction.EXECUTION_REPLAY, namespace=source.namespace, target=execution_id, replay=replay_id
        )
        Execution.objects.filter(pk=source.pk).update(labels=_labelled(source.labels, REPLAYED_LABEL))
    return replay


def restart_in_place(execution: Execution, rerun: reruns.Rerun, **fields: Any) -> None:
    """Apply `rerun` to the locked `execution`: RESTARTED, one attempt further, until the executor takes it on."""
    runs = {run.id: run for run in execution.task_runs.all()}
    TaskRun.objects.filter(pk__in=rerun.drop).delete()
    _reopen(runs, rerun)
    execution_transition(
        execution,
        State.RESTARTED,
        ended_at=None,
        outputs={},
        retry_at=None,
        attempt_number=execution.attempt_number + 1,
        **fields,
    )
    transaction.on_commit(partial(enqueue_advance, execution.id))


def replay_create(
    source: Execution,
    flow_revision: FlowRevision,
    rerun: reruns.Rerun | None,
    *,
    label: str,
    replay_id: str | None = None,
    inputs: dict[str, Any] | None = None,
) -> Execution:
    """A new execution of `source`'s flow, one attempt further, with its inputs (unless others are given),
    labels and trigger: from the start (CREATED) without `rerun`, else with `source`'s runs copied and reopened
    as `rerun` says (RESTARTED)."""
    now = timezone.now()
    replay = Execution(
        id=replay_id or new_id(),
        namespace=source.namespace,
        flow_id=source.flow_id,
        flow_revision=flow_revision,
        inputs=source.inputs if inputs is None else inputs,
        labels=_labelled(source.labels, label),
        original_id=source.original_id or source.id,
        parent=source,
        trigger=source.trigger,
        attempt_number=source.attempt_number + 1,
        state=State.CREATED,
        state_history=[history_entry(State.CREATED, now)],
        updated_at=now,
    )
    if rerun is not None:
        # Kestra's replay carries the source's state on, RESTARTED.
        check_execution_transition(State(source.state), State.RESTARTED)
        replay.state = State.RESTARTED
        replay.state_history = [*source.state_history, history_entry(State.RESTARTED, now)]
        replay.started_at = source.started_at
    replay.save(force_insert=True)
    if rerun is not None:
        _copy_runs(source, replay, rerun, parsed_revision(flow_revision))
    transaction.on_commit(partial(enqueue_advance, replay.id))
    return replay


def _planned(
    execution: Execution, plan: Callable[[ParsedFlow, tuple[TaskRunView, ...]], reruns.Rerun], field: str
) -> reruns.Rerun:
    """What `plan` reruns of `execution`; Invalid, naming `field`, when nothing."""
    runs = tuple(run.view() for run in execution.task_runs.all())
    try:
        return plan(parsed_revision(execution.flow_revision), runs)
    except reruns.NothingToRerunError as exc:
        raise Invalid(str(exc), [ErrorDetail(field, str(exc))]) from None


def _copy_runs(source: Execution, replay: Execution, rerun: reruns.Rerun, flow: ParsedFlow) -> None:
    """Copy `source`'s runs that `rerun` keeps into `replay`, new ids and the same order, then reopen them."""
    kept = [run for run in source.task_runs.all() if run.id not in rerun.drop]
    every_task = walk((*flow.tasks, *flow.errors, *flow.finally_, *flow.after_execution))
    missing = sorted({run.task_id for run in kept} - {task.id for task in every_task})
    if missing:
        detail = f"revision {replay.flow_revision.revision} has no task {', '.join(missing)}"
        raise Invalid(detail, [ErrorDetail("revision", detail)])
    ids = {run.id: new_id() for run in kept}
    copies = [_copy(run, replay, ids) for run in kept]
    TaskRun.objects.bulk_create(copies)
    for copy, run in zip(copies, kept, strict=True):
        copy.created_at = run.created_at  # the copies keep the order of the runs they copy
    TaskRun.objects.bulk_update(copies, ["created_at"])
    by_old_id = {run.id: copy for run, copy in zip(kept, copies, strict=True)}
    _reopen(by_old_id, rerun)


def _copy(run: TaskRun, replay: Execution, ids: dict[str, str]) -> TaskRun:
    copied = {
        field.attname: getattr(run, field.attname)
        for field in TaskRun._meta.concrete_fields
        if field.attname not in ("id", "execution_id", "parent_id", "created_at")
    }
    return TaskRun(id=ids[run.id], execution=replay, parent_id=ids.get(run.parent_id or ""), **copied)


def _reopen(runs: dict[str, TaskRun], rerun: reruns.Rerun) -> None:
    """Runs to run again become RESTARTED (a worker claims them as a new attempt); flowable runs holding them
    go back to RUNNING."""
    now = timezone.now()
    for run_id in sorted(rerun.again):
        run = runs[run_id]
        task_run_reopen(run, State.RESTARTED, outputs={}, ended_at=None, retry_at=now, heartbeat_at=None)
        if run.on_worker:
            transaction.on_commit(partial(enqueue_run_task, run.id))
    for run_id in sorted(rerun.reopen):
        task_run_reopen(runs[run_id], State.RUNNING, ended_at=None)


def _labelled(labels: list[dict[str, str]], key: str) -> list[dict[str, str]]:
    """`labels` with `key` set to "true"."""
    return [*(label for label in labels if label["key"] != key), {"key": key, "value": "true"}]
