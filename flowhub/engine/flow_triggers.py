"""Kestra's Flow trigger: whether a flow starts because an execution of another flow ended, and what its
execution then sees as `trigger`.

A trigger listens to the executions that end in one of its `states` (any end state by default), for
which its `conditions` hold and its `preconditions` admit them. A flow never listens to itself, as in
Kestra. When preconditions name several upstream flows, the ones the ending execution does not
satisfy must each have ended within the window: `Preconditions.still_awaited` lists them and the apps
look them up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import ConditionContext, ExecutionFacts, evaluate, not_evaluated
from .context import nested_labels
from .states import TERMINAL, State
from .subflows import CORRELATION_LABEL
from .tasks.triggers import FlowTrigger


@dataclass(frozen=True)
class Upstream:
    """An execution that just ended, as Flow triggers see it."""

    id: str
    facts: ExecutionFacts
    flow_revision: int
    start_date: str | None
    end_date: str | None


def listened_states(trigger: FlowTrigger) -> frozenset[State]:
    """The end states the trigger reacts to; flowhub looks at executions only as they end."""
    return frozenset(trigger.states) & TERMINAL if trigger.states else TERMINAL


def listens(trigger: FlowTrigger, context: ConditionContext) -> bool:
    """Whether `trigger`, of the flow `context` names, starts that flow now that `context.execution` ended.

    Preconditions naming other upstream flows are only admitted here; the caller checks that those ended.
    ConditionError when a condition cannot be evaluated.
    """
    execution = context.execution
    if (execution.namespace, execution.flow_id) == (context.flow_namespace, context.flow_id):
        return False
    if trigger.disabled or not_evaluated(trigger.conditions) or execution.state not in listened_states(trigger):
        return False
    if not evaluate(trigger.conditions, context):
        return False
    return trigger.preconditions is None or trigger.preconditions.admit(context)


def flow_trigger_variables(
    upstream: Upstream,
    outputs: Mapping[str, Any],
    *,
    first_failed_task_id: str | None = None,
    last_task_id: str | None = None,
) -> dict[str, Any]:
    """Kestra's Flow trigger output: `{{ trigger.executionId }}`, `trigger.outputs` (the upstream flow's
    outputs, with those of the other upstream executions a precondition waited for), and the rest."""
    labels = {key: value for key, value in upstream.facts.labels.items() if key != CORRELATION_LABEL}
    variables: dict[str, Any] = {
        "executionId": upstream.id,
        "namespace": upstream.facts.namespace,
        "flowId": upstream.facts.flow_id,
        "flowRevision": upstream.flow_revision,
        "state": upstream.facts.state,
        "executionLabels": nested_labels(labels),
        "startDate": upstream.start_date,
        "endDate": upstream.end_date,
        "firstFailedTaskId": first_failed_task_id,
        "lastTaskId": last_task_id,
        "outputs": dict(outputs),
    }
    return {key: value for key, value in variables.items() if value is not None}


def merged_outputs(*outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs of several executions deep-merged, later ones winning: the ending execution's go last."""
    merged: dict[str, Any] = {}
    for each in outputs:
        for key, value in each.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
                merged[key] = merged_outputs(merged[key], value)
            else:
                merged[key] = value
    return merged
