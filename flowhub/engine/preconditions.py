"""A Flow trigger's `preconditions`: the upstream flows that must all have ended within a time window,
and `where` filters on the execution that ended.

Kestra keeps a window of results per trigger; flowhub keeps none. When an execution ends, it is
matched against the upstream flows: the ones it does not satisfy must each have an execution that
ended within the current window (and, with `resetOnSuccess`, after the trigger last fired), which
the apps look up in the executions they store, as for a MultipleCondition (flow_triggers.py). `where`
filters are held against the execution that ended.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from . import templating
from .conditions import ConditionContext, ConditionError, NonEmpty, label_pairs
from .errors import EngineError
from .fields import Strict
from .states import State
from .windows import TimeWindow


class UpstreamFlow(Strict):
    """An upstream flow whose executions the trigger waits for: by namespace, and flow, states and labels."""

    namespace: str
    flowId: str | None = None
    states: tuple[State, ...] | None = None
    labels: dict[str, Any] | None = None

    def satisfied_by(self, context: ConditionContext) -> bool:
        execution = context.execution
        if execution.namespace != self.namespace or self.flowId not in (None, execution.flow_id):
            return False
        if self.states is not None and execution.state not in self.states:
            return False
        return all(execution.labels.get(key) == value for key, value in label_pairs(self.labels or {}))


class FilterField(StrEnum):
    FLOW_ID = "FLOW_ID"
    NAMESPACE = "NAMESPACE"
    STATE = "STATE"
    EXPRESSION = "EXPRESSION"


class FilterType(StrEnum):
    EQUAL_TO = "EQUAL_TO"
    NOT_EQUAL_TO = "NOT_EQUAL_TO"
    IN = "IN"
    NOT_IN = "NOT_IN"
    IS_TRUE = "IS_TRUE"
    IS_FALSE = "IS_FALSE"
    IS_NULL = "IS_NULL"
    IS_NOT_NULL = "IS_NOT_NULL"
    STARTS_WITH = "STARTS_WITH"
    ENDS_WITH = "ENDS_WITH"
    REGEX = "REGEX"
    CONTAINS = "CONTAINS"


_WITHOUT_VALUE = frozenset({FilterType.IS_TRUE, FilterType.IS_FALSE, FilterType.IS_NULL, FilterType.IS_NOT_NULL})


class Filter(Strict):
    """One test of a field of the execution that ended; an EXPRESSION's field is `value`, rendered."""

    field: FilterField
    type: FilterType
    value: str | None = None
    values: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _has_what_its_type_needs(self) -> Filter:
        if self.type in (FilterType.IN, FilterType.NOT_IN):
            if self.values is None:
                raise ValueError(f"a {self.type} filter needs 'values'")
        elif self.value is None and (self.type not in _WITHOUT_VALUE or self.field == FilterField.EXPRESSION):
            raise ValueError(f"a {self.type} filter on {self.field} needs 'value'")
        if self.type == FilterType.REGEX:
            try:
                re.compile(self.value or "")
            except re.error as error:
                raise ValueError(f"invalid regular expression: {error}") from None
        return self

    def holds(self, context: ConditionContext) -> bool:
        actual = self._field_value(context)
        expected = self.value or ""
        match self.type:
            case FilterType.EQUAL_TO:
                return actual == expected
            case FilterType.NOT_EQUAL_TO:
                return actual != expected
            case FilterType.IN:
                return actual in (self.values or ())
            case FilterType.NOT_IN:
                return actual not in (self.values or ())
            case FilterType.IS_TRUE:
                return templating.is_truthy(actual)
            case FilterType.IS_FALSE:
                return not templating.is_truthy(actual)
            case FilterType.IS_NULL:
                return actual is None
            case FilterType.IS_NOT_NULL:
                return actual is not None
            case FilterType.STARTS_WITH:
                return actual is not None and actual.startswith(expected)
            case FilterType.ENDS_WITH:
                return actual is not None and actual.endswith(expected)
            case FilterType.REGEX:
                return actual is not None and re.fullmatch(expected, actual) is not None
            case FilterType.CONTAINS:
                return actual is not None and expected in actual

    def _field_value(self, context: ConditionContext) -> str | None:
        execution = context.execution
        match self.field:
            case FilterField.FLOW_ID:
                return execution.flow_id
            case FilterField.NAMESPACE:
                return execution.namespace
            case FilterField.STATE:
                return execution.state
            case FilterField.EXPRESSION:
                try:
                    return templating.render(self.value or "", context.variables)
                except EngineError as error:
                    raise ConditionError(str(error)) from None


class Operand(StrEnum):
    AND = "AND"
    OR = "OR"


class ExecutionFilter(Strict):
    id: str
    operand: Operand = Operand.AND
    filters: NonEmpty[tuple[Filter, ...]]

    def holds(self, context: ConditionContext) -> bool:
        results = (check.holds(context) for check in self.filters)
        return any(results) if self.operand == Operand.OR else all(results)


class Preconditions(Strict):
    """Kestra's `preconditions` of a Flow trigger."""

    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
    flows: tuple[UpstreamFlow, ...] = ()
    where: tuple[ExecutionFilter, ...] = ()
    timeWindow: TimeWindow = TimeWindow()
    resetOnSuccess: bool = True

    def admit(self, context: ConditionContext) -> bool:
        """Whether the execution that ended counts: it passes every `where` filter, satisfies one of the
        upstream `flows` (when there are any), and the window is open now."""
        if not all(check.holds(context) for check in self.where):
            return False
        if self.flows and not any(flow.satisfied_by(context) for flow in self.flows):
            return False
        return self.bounds(context.now) is not None

    def bounds(self, now: datetime) -> tuple[datetime, datetime] | None:
        return self.timeWindow.bounds(now)

    def still_awaited(self, context: ConditionContext) -> tuple[UpstreamFlow, ...]:
        """The upstream flows the execution that ended does not satisfy: each needs an execution of its own
        in the window."""
        return tuple(flow for flow in self.flows if not flow.satisfied_by(context))
