"""Kestra's trigger conditions: what a trigger's `conditions` may say, and whether it holds.

Each condition type is a model of its properties, registered under Kestra's current name and its
old ones (`io.kestra.core.models.conditions.types.*Condition`, `…condition.*Condition`), so a flow
states them as Kestra does and a wrong property, or an unknown type, is refused at save with its path.

Evaluation is pure: `evaluate` is given what the condition may look at (`ConditionContext`): the
execution it is about (the one that ended, for a Flow trigger; the one about to start, for a
Webhook), the flow owning the trigger, the variables expressions see, and the time. A MultipleCondition
only says whether the execution that ended counts toward its window: the apps look for the rest
(flow_triggers.py), so it may only stand among a Flow trigger's own conditions (`PlainCondition`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Discriminator, Tag, field_validator

from .base import (
    ConditionContext,
    ConditionDefinition,
    ConditionError,
    ExecutionFacts,
    NonEmpty,
    label_pairs,
    names,
)
from .dates import DateTimeBetween, DayWeek, DayWeekInMonth, TimeBetween, Weekend
from .executions import (
    ExecutionFlow,
    ExecutionLabels,
    ExecutionNamespace,
    ExecutionOutputs,
    ExecutionStatus,
    Expression,
    FlowCondition,
    FlowNamespaceCondition,
    HasRetryAttempt,
)
from .multiple import MultipleCondition
from .public_holidays import PublicHoliday

__all__ = [
    "Condition",
    "ConditionContext",
    "ConditionDefinition",
    "ConditionError",
    "ExecutionFacts",
    "MultipleCondition",
    "NonEmpty",
    "PlainCondition",
    "evaluate",
    "label_pairs",
]


class Not(ConditionDefinition):
    """None of the conditions holds."""

    TYPE, ALIASES = names("Not")
    conditions: NonEmpty[tuple[PlainCondition, ...]]

    def holds(self, context: ConditionContext) -> bool:
        return not any(condition.holds(context) for condition in self.conditions)


class Or(ConditionDefinition):
    """At least one of the conditions holds."""

    TYPE, ALIASES = names("Or")
    conditions: NonEmpty[tuple[PlainCondition, ...]]

    def holds(self, context: ConditionContext) -> bool:
        return any(condition.holds(context) for condition in self.conditions)


class _Unknown(ConditionDefinition):
    """Never valid: it names an unknown condition type at the flow's `type` property."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @field_validator("type")
    @classmethod
    def _refused(cls, value: str) -> str:
        raise ValueError(f"invalid type: unknown condition type '{value}'")


_KINDS: tuple[type[ConditionDefinition], ...] = (
    Expression, ExecutionFlow, ExecutionNamespace, ExecutionStatus, ExecutionLabels, ExecutionOutputs,
    HasRetryAttempt, FlowCondition, FlowNamespaceCondition, Not, Or, MultipleCondition, DayWeek, DayWeekInMonth,
    Weekend, DateTimeBetween, TimeBetween, PublicHoliday,
)  # fmt: skip
_BY_NAME: dict[str, str] = {name: kind.TYPE for kind in _KINDS for name in (kind.TYPE, *kind.ALIASES)}


def _tag(value: Any) -> str:
    name = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(name, str):
        return "unknown"
    return _BY_NAME.get(name, "unknown")


Condition = Annotated[
    Annotated[Expression, Tag(Expression.TYPE)]
    | Annotated[ExecutionFlow, Tag(ExecutionFlow.TYPE)]
    | Annotated[ExecutionNamespace, Tag(ExecutionNamespace.TYPE)]
    | Annotated[ExecutionStatus, Tag(ExecutionStatus.TYPE)]
    | Annotated[ExecutionLabels, Tag(ExecutionLabels.TYPE)]
    | Annotated[ExecutionOutputs, Tag(ExecutionOutputs.TYPE)]
    | Annotated[HasRetryAttempt, Tag(HasRetryAttempt.TYPE)]
    | Annotated[FlowCondition, Tag(FlowCondition.TYPE)]
    | Annotated[FlowNamespaceCondition, Tag(FlowNamespaceCondition.TYPE)]
    | Annotated[Not, Tag(Not.TYPE)]
    | Annotated[Or, Tag(Or.TYPE)]
    | Annotated[MultipleCondition, Tag(MultipleCondition.TYPE)]
    | Annotated[DayWeek, Tag(DayWeek.TYPE)]
    | Annotated[DayWeekInMonth, Tag(DayWeekInMonth.TYPE)]
    | Annotated[Weekend, Tag(Weekend.TYPE)]
    | Annotated[DateTimeBetween, Tag(DateTimeBetween.TYPE)]
    | Annotated[TimeBetween, Tag(TimeBetween.TYPE)]
    | Annotated[PublicHoliday, Tag(PublicHoliday.TYPE)]
    | Annotated[_Unknown, Tag("unknown")],
    Discriminator(_tag),
]
"""A trigger condition, read as the model of its type (any of its names)."""


def _no_window(condition: ConditionDefinition) -> ConditionDefinition:
    if isinstance(condition, MultipleCondition):
        raise ValueError("a MultipleCondition can only be one of a Flow trigger's own conditions")
    return condition


PlainCondition = Annotated[Condition, AfterValidator(_no_window)]
"""A condition that holds or not by itself: any but a MultipleCondition."""

Not.model_rebuild()
Or.model_rebuild()
MultipleCondition.model_rebuild()


def evaluate(conditions: tuple[ConditionDefinition, ...], context: ConditionContext) -> bool:
    """Whether every condition holds; ConditionError names the first that cannot be evaluated."""
    for index, condition in enumerate(conditions):
        try:
            if not condition.holds(context):
                return False
        except ConditionError as error:
            raise ConditionError(f"conditions[{index}]: {error}") from None
    return True
