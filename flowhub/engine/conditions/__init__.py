"""Kestra's trigger conditions: what a trigger's `conditions` may say, and whether it holds.

Each condition type is a model of its properties, registered under Kestra's current name and its
old ones (`io.kestra.core.models.conditions.types.*Condition`, `…condition.*Condition`), so a flow
states them as Kestra does and a wrong property is refused at save with its path. A type Kestra has
and flowhub does not evaluate yet (`NOT_EVALUATED`) still saves, so real flows load; a trigger using
one does not fire (`not_evaluated`). Any other type is refused at save.

Evaluation is pure: `evaluate` is given what the condition may look at (`ConditionContext`): the
execution it is about (the one that ended, for a Flow trigger; the one about to start, for a
Webhook), the flow owning the trigger, the variables expressions see, and the time.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Discriminator, Tag, field_validator

from flowhub.engine.errors import ErrorDetail

from .base import (
    CORE,
    OLD,
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
)

__all__ = [
    "Condition",
    "ConditionContext",
    "ConditionDefinition",
    "ConditionError",
    "ExecutionFacts",
    "NonEmpty",
    "evaluate",
    "label_pairs",
    "not_evaluated",
]


class Not(ConditionDefinition):
    """None of the conditions holds."""

    TYPE, ALIASES = names("Not")
    conditions: NonEmpty[tuple[Condition, ...]]

    def holds(self, context: ConditionContext) -> bool:
        return not any(condition.holds(context) for condition in self.conditions)


class Or(ConditionDefinition):
    """At least one of the conditions holds."""

    TYPE, ALIASES = names("Or")
    conditions: NonEmpty[tuple[Condition, ...]]

    def holds(self, context: ConditionContext) -> bool:
        return any(condition.holds(context) for condition in self.conditions)


class NotEvaluated(ConditionDefinition):
    """A Kestra condition type flowhub accepts in a flow but does not evaluate yet."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def holds(self, context: ConditionContext) -> bool:
        raise ConditionError(f"flowhub does not evaluate {self.type} conditions yet")


class _Unknown(ConditionDefinition):
    """Never valid: it names an unknown condition type at the flow's `type` property."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @field_validator("type")
    @classmethod
    def _refused(cls, value: str) -> str:
        raise ValueError(f"invalid type: unknown condition type '{value}'")


NOT_EVALUATED = frozenset(
    {
        *(CORE + name for name in ("MultipleCondition", "PublicHoliday", "HasRetryAttempt")),
        *(CORE + name + "Condition" for name in ("PublicHoliday", "HasRetryAttempt")),
        *(OLD + name for name in ("MultipleCondition", "PublicHolidayCondition", "HasRetryAttemptCondition")),
    }
)
"""Kestra's conditions flowhub does not evaluate yet: windows of several flows (a Flow trigger's
`preconditions` say it instead), public holidays, retry attempts."""

EVALUATED: tuple[type[ConditionDefinition], ...] = (
    Expression, ExecutionFlow, ExecutionNamespace, ExecutionStatus, ExecutionLabels, ExecutionOutputs,
    FlowCondition, FlowNamespaceCondition, Not, Or, DayWeek, DayWeekInMonth, Weekend, DateTimeBetween, TimeBetween,
)  # fmt: skip
_BY_NAME: dict[str, str] = {name: kind.TYPE for kind in EVALUATED for name in (kind.TYPE, *kind.ALIASES)}


def _tag(value: Any) -> str:
    name = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(name, str):
        return "unknown"
    return _BY_NAME.get(name) or ("not-evaluated" if name in NOT_EVALUATED else "unknown")


Condition = Annotated[
    Annotated[Expression, Tag(Expression.TYPE)]
    | Annotated[ExecutionFlow, Tag(ExecutionFlow.TYPE)]
    | Annotated[ExecutionNamespace, Tag(ExecutionNamespace.TYPE)]
    | Annotated[ExecutionStatus, Tag(ExecutionStatus.TYPE)]
    | Annotated[ExecutionLabels, Tag(ExecutionLabels.TYPE)]
    | Annotated[ExecutionOutputs, Tag(ExecutionOutputs.TYPE)]
    | Annotated[FlowCondition, Tag(FlowCondition.TYPE)]
    | Annotated[FlowNamespaceCondition, Tag(FlowNamespaceCondition.TYPE)]
    | Annotated[Not, Tag(Not.TYPE)]
    | Annotated[Or, Tag(Or.TYPE)]
    | Annotated[DayWeek, Tag(DayWeek.TYPE)]
    | Annotated[DayWeekInMonth, Tag(DayWeekInMonth.TYPE)]
    | Annotated[Weekend, Tag(Weekend.TYPE)]
    | Annotated[DateTimeBetween, Tag(DateTimeBetween.TYPE)]
    | Annotated[TimeBetween, Tag(TimeBetween.TYPE)]
    | Annotated[NotEvaluated, Tag("not-evaluated")]
    | Annotated[_Unknown, Tag("unknown")],
    Discriminator(_tag),
]
"""A trigger condition, read as the model of its type (any of its names)."""

Not.model_rebuild()
Or.model_rebuild()


def evaluate(conditions: tuple[ConditionDefinition, ...], context: ConditionContext) -> bool:
    """Whether every condition holds; ConditionError names the first that cannot be evaluated."""
    for index, condition in enumerate(conditions):
        try:
            if not condition.holds(context):
                return False
        except ConditionError as error:
            raise ConditionError(f"conditions[{index}]: {error}") from None
    return True


def not_evaluated(conditions: tuple[ConditionDefinition, ...], prefix: str = "conditions") -> list[ErrorDetail]:
    """Where `conditions` use a type flowhub does not evaluate yet: a trigger using one does not fire."""
    found: list[ErrorDetail] = []
    for index, condition in enumerate(conditions):
        path = f"{prefix}[{index}]"
        if isinstance(condition, NotEvaluated):
            found.append(ErrorDetail(f"{path}.type", f"flowhub does not evaluate {condition.type} conditions yet"))
        elif isinstance(condition, Not | Or):
            found += not_evaluated(condition.conditions, f"{path}.conditions")
    return found
