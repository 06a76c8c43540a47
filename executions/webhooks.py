"""Webhook calls: the key opens one Webhook trigger of a flow, whose conditions decide whether the call
starts an execution, and with `wait` the answer waits for its end (kestra-api.md §5).

The key is the only credential. A flow that does not exist and a key that opens nothing answer the
same NotFound, so a caller without the key learns nothing, not even that the flow exists.

The files of a multipart/form-data call are stored as FILE inputs are (files.py), once the key opened
a trigger that is enabled: under the execution the call will start, at `webhook/<n>/<filename>` as
Kestra stores them. A call that starts no execution of its own deletes them again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from flowhub.engine import templating
from flowhub.engine.conditions import ConditionContext, ConditionError, ExecutionFacts, evaluate
from flowhub.engine.context import variables as execution_variables
from flowhub.engine.errors import EngineError
from flowhub.engine.functions import RevealedSecrets
from flowhub.engine.ids import new_id
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.planner import task_outputs
from flowhub.engine.states import State
from flowhub.engine.tasks.triggers import Webhook
from flowhub.engine.triggering import trigger_context
from flowhub.engine.webhooks import StoredPart, key_matches, request_variables
from flowhub.exceptions import Conflict, Invalid, NotFound
from namespaces.flows import parsed_revision
from namespaces.models import Flow
from namespaces.selectors import flow_get

from .files import execution_files_delete, store_upload
from .models import Execution, Trigger
from .run_context import execution_info
from .store import template_functions
from .triggered import trigger_execution_create, trigger_functions, trigger_labels
from .waiting import execution_wait

logger = logging.getLogger(__name__)
NOT_FOUND = "no webhook answers at this address"


@dataclass(frozen=True)
class WebhookCall:
    """A call as the flow sees it: body, headers and query parameters (names → lists of values)."""

    key: str
    body: bytes = b""
    content_type: str = ""
    headers: dict[str, list[str]] = field(default_factory=dict)
    parameters: dict[str, list[str]] = field(default_factory=dict)
    idempotency_key: str = ""
    path: str | None = None
    """What follows the key in the URL: Kestra's Webhook trigger answers none (404)."""
    form_fields: Mapping[str, list[str]] | None = None
    """The fields of a multipart/form-data or url-encoded body, by name."""
    uploads: Sequence[tuple[str, UploadedFile]] | None = None
    """The files of a multipart/form-data body (field name, upload), not stored yet; None for any other body."""


@dataclass(frozen=True)
class Received:
    trigger: Webhook
    execution: Execution | None
    """None when the trigger's conditions did not hold: nothing started."""


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    execution: Execution | None = None
    """Answered as Kestra's WebhookResponse; None with `outputs` or no content."""
    outputs: dict[str, Any] | None = None
    """The flow's outputs as the body itself (`returnOutputs`)."""
    content_type: str | None = None


def webhook_receive(*, namespace: str, flow_id: str, call: WebhookCall) -> Received:
    """Start an execution of the flow for the Webhook trigger `call.key` opens, unless its conditions say no.

    NotFound for an unknown flow or key alike, and for a `call.path`; Conflict when the flow or the trigger
    is disabled; Invalid (or the engine's InvalidInputsError) when its inputs or labels fail. A call with the
    `idempotency_key` of an earlier one answers that execution. The call's uploads are stored only once the
    trigger is found enabled, and deleted again unless the call starts an execution of its own.
    """
    if call.path is not None:
        raise NotFound(NOT_FOUND)
    try:
        flow = flow_get(namespace=namespace, flow_id=flow_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    assert flow.current is not None
    parsed = parsed_revision(flow.current)
    functions = trigger_functions(flow)
    trigger = _opened(parsed, call.key, functions)
    if parsed.disabled:
        raise Conflict(f"flow '{flow}' is disabled")
    row = Trigger.objects.filter(namespace=namespace, flow_id=flow_id, trigger_id=trigger.id)
    if trigger.disabled or row.filter(disabled=True).exists():
        raise Conflict(f"trigger '{trigger.id}' of flow '{flow}' is disabled")
    execution_id = new_id()
    try:
        received = _received(flow, parsed, trigger, functions, call, execution_id)
    except BaseException:
        _uploads_discard(flow, execution_id, call)
        raise
    if received.execution is None or received.execution.id != execution_id:  # none, or an earlier call's
        _uploads_discard(flow, execution_id, call)
    return received


def _received(
    flow: Flow, parsed: ParsedFlow, trigger: Webhook, functions: dict[str, Any], call: WebhookCall, execution_id: str
) -> Received:
    """The call's uploads stored under `execution_id`, and the execution of that id started, unless the trigger's
    conditions say no (or the call's idempotency key answers an earlier one)."""
    namespace, flow_id = flow.namespace_id, flow.flow_id
    parts = None if call.uploads is None else _uploads_store(flow, execution_id, call.uploads)
    variables = request_variables(call.body, call.content_type, call.headers, call.parameters, call.form_fields, parts)
    flow_labels = ExecutionFacts(namespace, flow_id, State.CREATED, parsed.labels)
    try:
        labels = trigger_labels(trigger, trigger_context(parsed, flow_labels, variables, functions))
    except Invalid:
        # A label that does not render for this call matters only if the call would start an execution.
        bare = trigger_context(parsed, flow_labels, variables, functions)
        if not _conditions_hold(trigger, parsed, flow_labels, bare):
            return Received(trigger, None)
        raise
    facts = ExecutionFacts(namespace, flow_id, State.CREATED, {**parsed.labels, **dict(labels)})
    context = trigger_context(parsed, facts, variables, functions)
    if not _conditions_hold(trigger, parsed, facts, context):
        return Received(trigger, None)
    execution = trigger_execution_create(
        flow=flow,
        trigger=trigger,
        inputs=trigger.inputs,
        variables=variables,
        context=context,
        labels=labels,
        idempotency_key=call.idempotency_key,
        execution_id=execution_id,
    )
    return Received(trigger, execution)


def _uploads_store(flow: Flow, execution_id: str, uploads: Sequence[tuple[str, UploadedFile]]) -> list[StoredPart]:
    """Each upload in a folder of its own, numbered: two parts may well carry the same filename."""
    return [
        StoredPart(
            name=name,
            filename=upload.name or "",
            content_type=upload.content_type or "",
            size=upload.size or 0,
            uri=store_upload(
                namespace=flow.namespace_id,
                flow_id=flow.flow_id,
                execution_id=execution_id,
                folder=f"webhook/{index}",
                upload=upload,
            ),
        )
        for index, (name, upload) in enumerate(uploads)
    ]


def _uploads_discard(flow: Flow, execution_id: str, call: WebhookCall) -> None:
    """Delete what the call stored for an execution it did not start: nothing else ever would."""
    if call.uploads:
        execution_files_delete(namespace=flow.namespace_id, flow_id=flow.flow_id, execution_id=execution_id)


def webhook_answer(*, received: Received) -> WebhookAnswer:
    """What the call answers: nothing (204) when no execution started; the execution at once; or with
    `wait`, once it ended (within FLOWHUB_WEBHOOK_WAIT_SECONDS; 202 with it as it is when it has not),
    its outputs themselves with `returnOutputs`, and `responseCode` (200, or 500 if it failed, by default)."""
    trigger, execution = received.trigger, received.execution
    if execution is None:
        return WebhookAnswer(204)
    if not trigger.wait:
        return WebhookAnswer(200, execution)
    ended = execution_wait(execution_id=execution.id, timeout=settings.FLOWHUB_WEBHOOK_WAIT_SECONDS)
    execution = Execution.objects.select_related("flow_revision").get(pk=execution.id)
    if not ended:
        return WebhookAnswer(202, execution)
    status = _response_code(trigger, execution)
    if trigger.returnOutputs:
        return WebhookAnswer(status, outputs=execution.outputs, content_type=trigger.responseContentType)
    return WebhookAnswer(status, execution)


def _opened(parsed: ParsedFlow, key: str, functions: dict[str, Any]) -> Webhook:
    """The flow's Webhook trigger whose key (rendered: it may read a secret) is `key`."""
    context = {**functions, "flow": {"id": parsed.id, "namespace": parsed.namespace}}
    for trigger in parsed.triggers:
        if not isinstance(trigger, Webhook):
            continue
        try:
            trigger_key = templating.render(trigger.key, context)
        except EngineError as error:
            logger.warning(
                "webhook %s of %s.%s: its key does not render: %s", trigger.id, parsed.namespace, parsed.id, error
            )
            continue
        if key_matches(trigger_key, key):
            return trigger
    raise NotFound(NOT_FOUND)


def _conditions_hold(trigger: Webhook, parsed: ParsedFlow, facts: ExecutionFacts, context: dict[str, Any]) -> bool:
    """Whether the trigger's conditions hold for this call; one that cannot be evaluated counts as false."""
    try:
        return evaluate(
            trigger.conditions, ConditionContext(parsed.namespace, parsed.id, facts, context, timezone.now())
        )
    except ConditionError as error:
        logger.warning("webhook %s of %s.%s: %s", trigger.id, parsed.namespace, parsed.id, error)
        return False


def _response_code(trigger: Webhook, execution: Execution) -> int:
    """`responseCode` (an expression sees the ended execution, its outputs too); the default when it is not
    an HTTP status: the execution ran, so its caller gets its answer and the server log says why."""
    default = 500 if execution.state == State.FAILED else 200
    if trigger.responseCode is None:
        return default
    try:
        code = int(
            trigger.responseCode
            if isinstance(trigger.responseCode, int)
            else _rendered(trigger.responseCode, execution)
        )
    except (EngineError, ValueError) as error:
        logger.warning("webhook %s of %s: responseCode: %s", trigger.id, execution.flow_id, error)
        return default
    if not 100 <= code <= 599:
        logger.warning("webhook %s of %s: responseCode %s is not an HTTP status", trigger.id, execution.flow_id, code)
        return default
    return code


def _rendered(expression: str, execution: Execution) -> str:
    parsed = parsed_revision(execution.flow_revision)
    outputs = task_outputs(tuple(run.view() for run in execution.task_runs.all()))
    functions = template_functions(execution, RevealedSecrets())
    context = execution_variables(parsed, execution_info(execution), outputs, functions=functions)
    return templating.render(expression, context).strip()
