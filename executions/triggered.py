"""Starting an execution for a trigger (a webhook call, another flow's end): labels and inputs rendered in
the trigger's context, `trigger` kept on the execution as Kestra's `{id, type, variables}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowhub.engine.functions import RevealedSecrets, namespace_functions
from flowhub.engine.registry import TriggerDefinition
from flowhub.engine.triggering import FROM_LABEL, TriggerRenderError, rendered_inputs, rendered_labels
from flowhub.exceptions import Invalid
from namespaces.models import Flow

from .models import Execution
from .reach import Reach
from .services import execution_create
from .store import ServicesStore


def trigger_functions(flow: Flow) -> dict[str, Any]:
    """`kv()`, `secret()` and `read()` for the expressions of a trigger of `flow`'s current revision, as the
    flow's own tasks have them."""
    assert flow.current is not None
    reach = Reach(flow.namespace_id, flow.flow_id, flow.current)
    return namespace_functions(ServicesStore(reach), flow.namespace_id, RevealedSecrets())


def trigger_labels(
    trigger: TriggerDefinition, context: dict[str, Any], extra: list[dict[str, Any]] | None = None
) -> list[tuple[str, str]]:
    """`system.from: trigger`, the trigger's own `labels` and the `extra` ones (a backfill's), rendered;
    Invalid names a label that fails."""
    try:
        return [(FROM_LABEL, "trigger"), *rendered_labels(trigger.labels, context), *rendered_labels(extra, context)]
    except TriggerRenderError as error:
        raise Invalid("the trigger's labels could not be rendered", error.errors) from None


def trigger_execution_create(
    *,
    flow: Flow,
    trigger: TriggerDefinition,
    inputs: Mapping[str, Any],
    variables: dict[str, Any],
    context: dict[str, Any],
    labels: list[tuple[str, str]],
    idempotency_key: str = "",
    execution_id: str | None = None,
    system_labels: Sequence[tuple[str, str]] = (),
) -> Execution:
    """A CREATED execution of `flow` for `trigger`, whose `inputs` render with `context`, its id `execution_id`
    if one is given; or the earlier execution that `idempotency_key` was already used for.

    Invalid names each input that does not render; the engine's InvalidInputsError each that the flow refuses.
    """
    try:
        rendered = rendered_inputs(inputs, context)
    except TriggerRenderError as error:
        raise Invalid("the trigger's inputs could not be rendered", error.errors) from None
    return execution_create(
        flow=flow,
        inputs=rendered,
        labels=labels,
        trigger=trigger_record(trigger, variables),
        idempotency_key=idempotency_key,
        execution_id=execution_id,
        system_labels=system_labels,
    )


def trigger_record(trigger: TriggerDefinition, variables: dict[str, Any]) -> dict[str, Any]:
    """The execution's `trigger`: Kestra's `{id, type, variables}`, the type as the flow writes it."""
    return {"id": trigger.id, "type": trigger.type, "variables": variables}
