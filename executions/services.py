"""Creating executions: inputs validated by the engine, FILE inputs stored, labels checked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine import inputs as engine_inputs
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.ids import new_id
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.states import State
from flowhub.exceptions import Conflict, Invalid
from namespaces.flows import parsed_revision
from namespaces.models import Flow, FlowRevision
from namespaces.selectors import flow_revision_get

from . import signals
from .dispatch import enqueue_advance
from .files import delete_execution_files, store_input_file
from .models import Execution, LogEntry, TaskRun
from .transitions import history_entry

USER_SYSTEM_LABELS = frozenset({"system.correlationId", "system.from"})


def execution_create(
    *,
    flow: Flow,
    inputs: Mapping[str, Any],
    labels: list[tuple[str, str]],
    revision: int | None = None,
    files: Mapping[str, UploadedFile] | None = None,
    parent_task_run: TaskRun | None = None,
    trigger: dict[str, Any] | None = None,
    idempotency_key: str = "",
    schedule_date: datetime | None = None,
    execution_id: str | None = None,
    system_labels: Sequence[tuple[str, str]] = (),
) -> Execution:
    """Validate inputs against the flow and store a CREATED execution; the executor takes it from there,
    not before its `schedule_date` if one is given. Its id is `execution_id` when the caller minted one
    first, to store files under it (a webhook call's uploads), else a new one. `labels` are a caller's,
    refused when they name a `system.` label it may not set; `system_labels` are the server's own
    (`system.backfill`).

    `files` are uploads by input id: FILE inputs are streamed into storage first, and removed
    again if the execution cannot be created, so a refused request leaves nothing behind. A
    Subflow's execution names the `parent_task_run` that started it, and its `trigger`. A call
    with the `idempotency_key` of an execution of this flow answers that execution and creates
    nothing, even when both calls race: the database's uniqueness decides.
    """
    if idempotency_key and (earlier := _execution_by_key(flow, idempotency_key)):
        return earlier
    flow_revision, parsed = flow_revision_runnable(flow=flow, revision=revision)
    execution_id = execution_id or new_id()
    lineage = {
        "parent_id": parent_task_run.execution_id if parent_task_run else None,
        "parent_task_run": parent_task_run,
        "trigger": trigger,
        "idempotency_key": idempotency_key,
        "schedule_date": schedule_date,
    }
    try:
        with file_inputs_stored(parsed, parsed.inputs, execution_id, files or {}) as stored:
            return _create(parsed, flow_revision, execution_id, {**inputs, **stored}, labels, system_labels, lineage)
    except IntegrityError:
        earlier = _execution_by_key(flow, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return earlier


def json_inputs(*, flow: Flow, revision: int | None, body: Any) -> Mapping[str, Any]:
    """The inputs a JSON trigger body gives: NoETL's `{"inputs": {...}}`, or a plain map of inputs.

    A body whose only key is `inputs`, holding an object, is the wrapped form, unless the flow declares
    an input named `inputs`: then, as in a plain map, it is that input's value."""
    if not isinstance(body, dict):
        raise Invalid("the JSON body must be an object of inputs", [ErrorDetail("$", "expected a JSON object")])
    if body.keys() == {"inputs"} and isinstance(body["inputs"], dict):
        parsed = parsed_revision(flow_revision_get(flow=flow, revision=revision))
        if not any(spec.id == "inputs" for spec in parsed.inputs):
            return cast(dict[str, Any], body["inputs"])
    return body


def execution_inputs_validate(
    *,
    flow: Flow,
    inputs: Mapping[str, Any],
    revision: int | None = None,
    files: Mapping[str, UploadedFile] | None = None,
) -> list[tuple[engine_inputs.InputSpec, Any]]:
    """What `execution_create` would make of these inputs, creating nothing: each input of the flow with the value
    it would get (None when it gets none). Invalid as it would be. FILE uploads are stored for the check and removed
    again, so a FILE input shows no value."""
    _, parsed = flow_revision_runnable(flow=flow, revision=revision)
    with file_inputs_stored(parsed, parsed.inputs, new_id(), files or {}, keep=False) as stored:
        resolved = engine_inputs.resolve(parsed.inputs, {**inputs, **stored})
    return [
        (spec, None if spec.type == "FILE" else engine_inputs.value_at(resolved, spec.id)) for spec in parsed.inputs
    ]


def _execution_by_key(flow: Flow, idempotency_key: str) -> Execution | None:
    return Execution.objects.filter(
        namespace=flow.namespace_id, flow_id=flow.flow_id, idempotency_key=idempotency_key
    ).first()


def check_user_labels(requested: list[tuple[str, str]]) -> None:
    """Invalid, naming each, for a `system.` label a user may not set."""
    forbidden = [
        ErrorDetail("labels", f"system labels can only be set by flowhub itself, offending label: {key}={value}")
        for key, value in requested
        if key.startswith("system.") and key not in USER_SYSTEM_LABELS
    ]
    if forbidden:
        raise Invalid("invalid labels", forbidden)


def flow_revision_runnable(*, flow: Flow, revision: int | None) -> tuple[FlowRevision, ParsedFlow]:
    """A revision of `flow` (its current one by default) to start an execution of; Conflict when it cannot run."""
    flow_revision = flow_revision_get(flow=flow, revision=revision)
    parsed = parsed_revision(flow_revision)
    if parsed.disabled:
        raise Conflict(f"flow '{flow}' is disabled")
    if parsed.not_runnable:
        raise Conflict(f"flow '{flow}' uses what flowhub cannot run yet", list(parsed.not_runnable))
    return flow_revision, parsed


@contextmanager
def file_inputs_stored(
    parsed: ParsedFlow,
    specs: tuple[engine_inputs.InputSpec, ...],
    execution_id: str,
    files: Mapping[str, UploadedFile],
    keep: bool = True,
) -> Iterator[dict[str, str]]:
    """The uploads for the FILE inputs among `specs`, stored for the block: their URIs by input id.

    They are removed again if the block raises, so a refused request leaves nothing behind, and once
    it ends unless `keep`.
    """
    file_inputs = {spec.id for spec in specs if spec.type == "FILE"}
    empty = [
        ErrorDetail(f"inputs.{name}", "the uploaded file is empty")
        for name, upload in files.items()
        if name in file_inputs and upload.size == 0
    ]
    if empty:
        raise Invalid("invalid inputs", empty)
    stored = {
        name: store_input_file(
            namespace=parsed.namespace, flow_id=parsed.id, execution_id=execution_id, input_id=name, upload=upload
        )
        for name, upload in files.items()
        if name in file_inputs
    }
    try:
        yield stored
    except BaseException:
        delete_execution_files(list(stored.values()))
        raise
    if not keep:
        delete_execution_files(list(stored.values()))


def _create(
    parsed: ParsedFlow,
    flow_revision: FlowRevision,
    execution_id: str,
    inputs: Mapping[str, Any],
    labels: list[tuple[str, str]],
    system_labels: Sequence[tuple[str, str]],
    lineage: dict[str, Any],
) -> Execution:
    resolved = engine_inputs.resolve(parsed.inputs, inputs)
    now = timezone.now()
    execution = Execution(
        id=execution_id,
        namespace=parsed.namespace,
        flow_id=parsed.id,
        flow_revision=flow_revision,
        state=State.CREATED,
        state_history=[history_entry(State.CREATED, now)],
        inputs=resolved,
        labels=_execution_labels(parsed, labels, execution_id, system_labels),
        updated_at=now,
        **lineage,
    )
    delay = execution.schedule_date - now if execution.schedule_date and execution.schedule_date > now else None
    with transaction.atomic():
        execution.save(force_insert=True)
        signals.execution_created.send(sender=Execution, execution=execution)
        transaction.on_commit(partial(enqueue_advance, execution.id, delay=delay))
        # Only a person's: schedules, flow triggers, webhooks and Subflow runs act as nobody (audit/actors.py).
        audit_record(
            action=AuditAction.EXECUTION_CREATE, namespace=parsed.namespace, target=execution_id, flow=parsed.id
        )
    return execution


def execution_create_failed(
    *, flow: Flow, labels: list[tuple[str, str]], trigger: dict[str, Any], errors: list[ErrorDetail]
) -> Execution:
    """Store an execution of `flow` that failed before it ran, each of `errors` an ERROR log line of it.

    What a Flow trigger starts when it cannot give the flow valid inputs, as Kestra 2 does: the flow's
    owners see why, and the execution that fired the trigger is not troubled."""
    flow_revision, parsed = flow_revision_runnable(flow=flow, revision=None)
    execution_id, now = new_id(), timezone.now()
    execution = Execution(
        id=execution_id,
        namespace=parsed.namespace,
        flow_id=parsed.id,
        flow_revision=flow_revision,
        state=State.FAILED,
        state_history=[history_entry(State.CREATED, now), history_entry(State.FAILED, now)],
        labels=_execution_labels(parsed, labels, execution_id),
        updated_at=now,
        ended_at=now,
        trigger=trigger,
    )
    with transaction.atomic():
        execution.save(force_insert=True)
        lines = [LogEntry(execution=execution, level="ERROR", message=str(error), timestamp=now) for error in errors]
        LogEntry.objects.bulk_create(lines)
        signals.execution_created.send(sender=Execution, execution=execution)
        signals.execution_ended.send(sender=Execution, execution=execution)
    return execution


def _execution_labels(
    parsed: ParsedFlow, requested: list[tuple[str, str]], execution_id: str, system: Sequence[tuple[str, str]] = ()
) -> list[dict[str, str]]:
    check_user_labels(requested)
    labels = {**parsed.labels, **dict(requested), **dict(system)}
    labels.setdefault("system.correlationId", execution_id)
    return [{"key": key, "value": value} for key, value in labels.items()]
