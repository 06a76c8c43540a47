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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from . import templating
from .clock import seconds_from_utc_midnight, to_offset_time
from .errors import EngineError, ErrorDetail
from .states import State

T = TypeVar("T")
CORE = "io.kestra.plugin.core.condition."
OLD = "io.kestra.core.models.conditions.types."


def _not_empty(items: tuple[Any, ...]) -> tuple[Any, ...]:
    # After its items validated: `Field(min_length=1)` would also count the invalid ones out and report it.
    if not items:
        raise ValueError("must have at least 1 item(s)")
    return items


NonEmpty = Annotated[T, AfterValidator(_not_empty)]
"""A tuple that must hold at least one item."""


class ConditionError(EngineError):
    """A condition could not be evaluated: a bad expression or date, or a type flowhub does not evaluate."""


@dataclass(frozen=True)
class ExecutionFacts:
    """What conditions see of an execution."""

    namespace: str
    flow_id: str
    state: str
    labels: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConditionContext:
    flow_namespace: str
    """The flow whose trigger the conditions belong to."""
    flow_id: str
    execution: ExecutionFacts
    variables: dict[str, Any]
    """What expressions see: `trigger`, `flow`, `labels`, the template functions…"""
    now: datetime


class ConditionDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    ALIASES: ClassVar[tuple[str, ...]] = ()

    type: str

    @field_validator("*", mode="after")
    @classmethod
    def _expressions_parse(cls, value: Any) -> Any:
        """A template syntax error is a save-time error, not a surprise when the trigger fires."""
        if isinstance(value, str) and (problem := templating.check_syntax(value)):
            raise ValueError(problem)
        return value

    def holds(self, context: ConditionContext) -> bool:
        raise NotImplementedError


def _names(name: str, old: str | None = None) -> tuple[str, tuple[str, ...]]:
    """A condition's full type name and its aliases: `…condition.XCondition` and the old core name."""
    return CORE + name, (CORE + name + "Condition", OLD + (old or name + "Condition"))


class Expression(ConditionDefinition):
    """True unless the expression renders to nothing, blanks or `false`."""

    TYPE, ALIASES = _names("Expression", old="VariableCondition")
    expression: str

    def holds(self, context: ConditionContext) -> bool:
        rendered = _render(self.expression, context.variables).strip()
        return rendered not in ("", "false")


class ExecutionFlow(ConditionDefinition):
    """The execution is of this flow."""

    TYPE, ALIASES = _names("ExecutionFlow")
    namespace: str
    flowId: str

    def holds(self, context: ConditionContext) -> bool:
        return (context.execution.namespace, context.execution.flow_id) == (self.namespace, self.flowId)


class Comparison(StrEnum):
    EQUALS = "EQUALS"
    PREFIX = "PREFIX"
    SUFFIX = "SUFFIX"


class ExecutionNamespace(ConditionDefinition):
    """The execution's namespace equals, starts or ends with `namespace` (`prefix: true` is PREFIX)."""

    TYPE, ALIASES = _names("ExecutionNamespace")
    namespace: str
    comparison: Comparison | None = None
    prefix: bool = False

    def holds(self, context: ConditionContext) -> bool:
        actual = context.execution.namespace
        comparison = self.comparison or (Comparison.PREFIX if self.prefix else Comparison.EQUALS)
        if comparison == Comparison.PREFIX:
            return actual.startswith(self.namespace)
        if comparison == Comparison.SUFFIX:
            return actual.endswith(self.namespace)
        return actual == self.namespace


class ExecutionStatus(ConditionDefinition):
    """The execution's state is among `in` (when given) and not among `notIn`."""

    TYPE, ALIASES = _names("ExecutionStatus")
    in_: tuple[State, ...] | None = Field(default=None, alias="in")
    notIn: tuple[State, ...] | None = None

    def holds(self, context: ConditionContext) -> bool:
        state = context.execution.state
        return (self.in_ is None or state in self.in_) and (self.notIn is None or state not in self.notIn)


class ExecutionLabels(ConditionDefinition):
    """The execution has every one of these labels (a map, or Kestra's `[{key, value}]` list)."""

    TYPE, ALIASES = _names("ExecutionLabels")
    labels: dict[str, Any] | list[dict[str, Any]]

    def holds(self, context: ConditionContext) -> bool:
        return all(context.execution.labels.get(key) == value for key, value in label_pairs(self.labels))


class ExecutionOutputs(ConditionDefinition):
    """The expression, with the execution's outputs as `trigger.outputs`, is true; false without outputs."""

    TYPE, ALIASES = _names("ExecutionOutputs")
    expression: str

    def holds(self, context: ConditionContext) -> bool:
        if not context.execution.outputs:
            return False
        trigger = {**context.variables.get("trigger", {}), "outputs": dict(context.execution.outputs)}
        return templating.is_truthy(_render(self.expression, {**context.variables, "trigger": trigger}))


class FlowCondition(ConditionDefinition):
    """The trigger's own flow is this one (deprecated in Kestra, kept for old flows)."""

    TYPE, ALIASES = CORE + "FlowCondition", (OLD + "FlowCondition",)
    namespace: str
    flowId: str

    def holds(self, context: ConditionContext) -> bool:
        return (context.flow_namespace, context.flow_id) == (self.namespace, self.flowId)


class FlowNamespaceCondition(ConditionDefinition):
    """The trigger's own flow is in this namespace, or below it with `prefix` (deprecated in Kestra)."""

    TYPE, ALIASES = CORE + "FlowNamespaceCondition", (OLD + "FlowNamespaceCondition",)
    namespace: str
    prefix: bool = False

    def holds(self, context: ConditionContext) -> bool:
        if self.prefix:
            return context.flow_namespace.startswith(self.namespace)
        return context.flow_namespace == self.namespace


class Not(ConditionDefinition):
    """None of the conditions holds."""

    TYPE, ALIASES = _names("Not")
    conditions: NonEmpty[tuple[Condition, ...]]

    def holds(self, context: ConditionContext) -> bool:
        return not any(condition.holds(context) for condition in self.conditions)


class Or(ConditionDefinition):
    """At least one of the conditions holds."""

    TYPE, ALIASES = _names("Or")
    conditions: NonEmpty[tuple[Condition, ...]]

    def holds(self, context: ConditionContext) -> bool:
        return any(condition.holds(context) for condition in self.conditions)


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


WEEK = list(DayOfWeek)


class _Dated(ConditionDefinition):
    """A condition about a date: `date` when given (an expression, usually), else the trigger's date (a
    Schedule's `trigger.date`), else the time of evaluation."""

    date: str | None = None

    def moment(self, context: ConditionContext) -> datetime:
        text = self.date
        if text is None:
            trigger_date = context.variables.get("trigger", {}).get("date")
            if trigger_date is None:
                return context.now
            text = str(trigger_date)
        return _rendered_as(text, context, _moment)


class DayWeek(_Dated):
    """The date falls on this day of the week."""

    TYPE, ALIASES = _names("DayWeek")
    dayOfWeek: DayOfWeek

    def holds(self, context: ConditionContext) -> bool:
        return WEEK[self.moment(context).weekday()] == self.dayOfWeek


class DayInMonth(StrEnum):
    FIRST = "FIRST"
    SECOND = "SECOND"
    THIRD = "THIRD"
    FOURTH = "FOURTH"
    LAST = "LAST"


class DayWeekInMonth(_Dated):
    """The date is the first (second, …, last) such day of the week of its month."""

    TYPE, ALIASES = _names("DayWeekInMonth")
    dayOfWeek: DayOfWeek
    dayInMonth: DayInMonth

    def holds(self, context: ConditionContext) -> bool:
        day = self.moment(context).date()
        if WEEK[day.weekday()] != self.dayOfWeek:
            return False
        if self.dayInMonth == DayInMonth.LAST:
            return (day.day + 7) > _days_in_month(day.year, day.month)
        return (day.day - 1) // 7 == list(DayInMonth).index(self.dayInMonth)


class Weekend(_Dated):
    """The date is a Saturday or a Sunday."""

    TYPE, ALIASES = _names("Weekend")

    def holds(self, context: ConditionContext) -> bool:
        return self.moment(context).weekday() >= 5


class DateTimeBetween(_Dated):
    """The date is within `after` and `before` (ISO date-times with a zone), bounds included."""

    TYPE, ALIASES = _names("DateTimeBetween")
    after: str | None = None
    before: str | None = None

    @field_validator("after", "before")
    @classmethod
    def _is_a_date_time(cls, value: str | None) -> str | None:
        if value is not None and not templating.is_template(value):
            _moment(value)
        return value

    def holds(self, context: ConditionContext) -> bool:
        if self.after is None and self.before is None:
            raise ConditionError("give 'after', 'before' or both")
        moment = self.moment(context)
        after, before = (_bound(text, context, _moment) for text in (self.after, self.before))
        return (after is None or moment >= after) and (before is None or moment <= before)


class TimeBetween(_Dated):
    """The date's time of day is strictly between `after` and `before` (times with an offset)."""

    TYPE, ALIASES = _names("TimeBetween")
    after: str | None = None
    before: str | None = None

    @field_validator("after", "before")
    @classmethod
    def _is_a_time(cls, value: str | None) -> str | None:
        if value is not None and not templating.is_template(value):
            to_offset_time(value)
        return value

    def holds(self, context: ConditionContext) -> bool:
        if self.after is None and self.before is None:
            raise ConditionError("give 'after', 'before' or both")
        moment = self.moment(context)
        offset = moment.utcoffset() or timedelta()
        current = seconds_from_utc_midnight(moment.time(), timezone(offset))
        after, before = (_bound(text, context, _time_of_day) for text in (self.after, self.before))
        return (after is None or current > after) and (before is None or current < before)


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


def label_pairs(labels: Mapping[str, Any] | list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Kestra's labels as written, a map or a `[{key, value}]` list, as (key, text) pairs."""
    if isinstance(labels, Mapping):
        return [(str(key), _text(value)) for key, value in labels.items()]
    return [(str(item.get("key")), _text(item.get("value"))) for item in labels]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _render(source: str, variables: dict[str, Any]) -> str:
    try:
        return templating.render(source, variables)
    except EngineError as error:
        raise ConditionError(str(error)) from None


def _bound(text: str | None, context: ConditionContext, read: Callable[[str], T]) -> T | None:
    return None if text is None else _rendered_as(text, context, read)


def _rendered_as(text: str, context: ConditionContext, read: Callable[[str], T]) -> T:
    rendered = _render(text, context.variables).strip()
    try:
        return read(rendered)
    except ValueError as error:
        raise ConditionError(f"'{rendered}': {error}") from None


def _moment(text: str) -> datetime:
    """An ISO date or date-time, in its own offset (UTC when it has none), as Kestra's DateUtils reads it."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _time_of_day(text: str) -> float:
    return seconds_from_utc_midnight(*to_offset_time(text))


def _days_in_month(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - datetime(year, month, 1)).days
