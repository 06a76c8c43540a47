"""Kestra's Flow trigger: whether a flow starts because an execution of another flow ended, and what its
execution then sees as `trigger`.

A trigger listens to the executions that end in one of its `states` (any end state by default), for
which its `conditions` hold and its `preconditions` admit them. A flow never listens to itself, as in
Kestra. Its preconditions and MultipleConditions are windows: what the ending execution does not
satisfy (`Window.still_awaited`) an execution of another flow must have satisfied within the window,
which the apps look up and hold to `counts`, as Kestra would have when that execution ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .conditions import ConditionContext, ExecutionFacts, MultipleCondition, evaluate
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


class Awaited(Protocol):
    """What an execution of another flow, ended within a window, must be: an upstream flow of preconditions,
    a MultipleCondition's condition. `namespace`, `flowId` and `states` narrow the search when known."""

    @property
    def namespace(self) -> str | None: ...

    @property
    def flowId(self) -> str | None: ...

    @property
    def states(self) -> tuple[State, ...] | None: ...

    def satisfied_by(self, context: ConditionContext) -> bool: ...


class Window(Protocol):
    """A trigger's preconditions, or one of its MultipleConditions."""

    @property
    def resetOnSuccess(self) -> bool: ...

    def bounds(self, now: datetime) -> tuple[datetime, datetime] | None: ...

    def still_awaited(self, context: ConditionContext) -> Sequence[Awaited]: ...


def windows(trigger: FlowTrigger) -> tuple[Window, ...]:
    """What makes `trigger` wait for executions of several flows: its MultipleConditions, its preconditions."""
    multiple: tuple[Window, ...] = tuple(each for each in trigger.conditions if isinstance(each, MultipleCondition))
    return (*multiple, trigger.preconditions) if trigger.preconditions else multiple


def listened_states(trigger: FlowTrigger) -> frozenset[State]:
    """The end states the trigger reacts to; flowhub looks at executions only as they end."""
    return frozenset(trigger.states) & TERMINAL if trigger.states else TERMINAL


def listens(trigger: FlowTrigger, context: ConditionContext) -> bool:
    """Whether `trigger`, of the flow `context` names, starts that flow now that `context.execution` ended.

    Of its windows, the execution is only admitted here; the caller looks for what they still await.
    ConditionError when a condition cannot be evaluated.
    """
    if trigger.disabled or not _ended_elsewhere_as_listened(trigger, context):
        return False
    if not evaluate(trigger.conditions, context):
        return False
    return trigger.preconditions is None or trigger.preconditions.admit(context)


def counts(trigger: FlowTrigger, awaited: Awaited, context: ConditionContext) -> bool:
    """Whether `context.execution`, which ended earlier within the window, counts for what a window of
    `trigger` awaits, as Kestra recorded it when it ended: it is of another flow, in a state the trigger
    listens to, the trigger's conditions (its MultipleConditions aside) hold for it, and it satisfies `awaited`.
    ConditionError when a condition cannot be evaluated."""
    if not _ended_elsewhere_as_listened(trigger, context):
        return False
    plain = tuple(each for each in trigger.conditions if not isinstance(each, MultipleCondition))
    return evaluate(plain, context) and awaited.satisfied_by(context)


def _ended_elsewhere_as_listened(trigger: FlowTrigger, context: ConditionContext) -> bool:
    """The execution is not of the trigger's own flow, and ended in a state the trigger listens to."""
    execution = context.execution
    own = (execution.namespace, execution.flow_id) == (context.flow_namespace, context.flow_id)
    return not own and execution.state in listened_states(trigger)


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
