"""Kestra's query filters (`filters[field][OPERATION]=value`) on executions and log lines, as querysets.

The API reads the parameters (flowhub/api/filters.py), and translates the legacy flat ones into the
same `Filter`s; here each becomes a condition. A value that does not fit its field (a state that does
not exist, a date without a time zone) is Invalid, naming the parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.utils import timezone

from flowhub.api.filters import Filter
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.inputs.temporal import to_datetime, to_duration
from flowhub.engine.states import State
from flowhub.exceptions import Invalid

from .models import Execution, LogEntry

TEXT = frozenset({"EQUALS", "NOT_EQUALS", "IN", "NOT_IN", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "NOT_CONTAINS"})
DATES = frozenset({"GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO"})
CHOICES = frozenset({"EQUALS", "NOT_EQUALS", "IN", "NOT_IN"})

EXECUTION_FILTERS = {
    "q": frozenset({"EQUALS", "CONTAINS"}),
    "namespace": TEXT | {"PREFIX"},
    "flowId": TEXT,
    "id": CHOICES,
    "state": CHOICES,
    "labels": frozenset({"EQUALS", "NOT_EQUALS"}),
    "startDate": DATES,
    "endDate": DATES,
    "timeRange": frozenset({"EQUALS"}),
    "childFilter": frozenset({"EQUALS"}),
    "parentId": frozenset({"EQUALS"}),
}
LEGACY_PARAMETERS = {
    "q": ("q", "CONTAINS", "Text in the id, namespace or flow id"),
    "namespace": ("namespace", "PREFIX", "This namespace and those below it"),
    "flowId": ("flowId", "EQUALS", "One flow's id"),
    "state": ("state", "IN", "A state, repeatable"),
    "labels": ("labels", "EQUALS", "key:value, repeatable"),
    "startDate": ("startDate", "GREATER_THAN_OR_EQUAL_TO", "Started at or after (ISO-8601 with a zone)"),
    "endDate": ("endDate", "LESS_THAN_OR_EQUAL_TO", "Ended at or before (ISO-8601 with a zone)"),
    "timeRange": ("timeRange", "EQUALS", "Started within this ISO-8601 duration before now, e.g. PT24H"),
    "childFilter": ("childFilter", "EQUALS", "CHILD: only Subflow executions; MAIN: none of them"),
}
"""Kestra 1.x's flat parameters of an execution search: for each, the filter field and operation it stands for."""

LOG_FILTERS = {
    "q": frozenset({"EQUALS", "CONTAINS"}),
    "namespace": TEXT | {"PREFIX"},
    "flowId": TEXT,
    "executionId": CHOICES,
    "taskId": CHOICES,
    "taskRunId": CHOICES,
    "level": frozenset({"EQUALS", "NOT_EQUALS", "IN", "NOT_IN", "GREATER_THAN_OR_EQUAL_TO"}),
    "startDate": DATES,
    "endDate": DATES,
    "timeRange": frozenset({"EQUALS"}),
}

LOG_LEGACY_PARAMETERS = {
    "q": ("q", "CONTAINS", "Text in the message"),
    "namespace": ("namespace", "PREFIX", "This namespace and those below it"),
    "flowId": ("flowId", "EQUALS", "One flow's id"),
    "minLevel": ("level", "GREATER_THAN_OR_EQUAL_TO", "This level and those more severe"),
    "startDate": ("startDate", "GREATER_THAN_OR_EQUAL_TO", "At or after (ISO-8601 with a zone)"),
    "endDate": ("endDate", "LESS_THAN_OR_EQUAL_TO", "At or before (ISO-8601 with a zone)"),
}
"""Kestra 1.x's flat parameters of a log search, as `LEGACY_PARAMETERS` for executions."""

_TEXT_LOOKUPS = {
    "EQUALS": "exact", "IN": "in", "STARTS_WITH": "startswith", "ENDS_WITH": "endswith", "CONTAINS": "icontains",
}  # fmt: skip
_NEGATED = {"NOT_EQUALS": "EQUALS", "NOT_IN": "IN", "NOT_CONTAINS": "CONTAINS"}
_DATE_LOOKUPS = {
    "GREATER_THAN": "gt", "GREATER_THAN_OR_EQUAL_TO": "gte", "LESS_THAN": "lt", "LESS_THAN_OR_EQUAL_TO": "lte",
}  # fmt: skip
CHILD_FILTERS = ("CHILD", "MAIN")


class HasLabel(Func):
    """True when a Kestra label list (`[{"key", "value"}]`) holds the label `key: value`: JSON containment on
    PostgreSQL; SQLite, which has no containment operator, walks the list with `json_each`."""

    output_field = BooleanField()
    conditional = True
    template = (
        "EXISTS (SELECT 1 FROM json_each(%(expressions)s) AS label"
        " WHERE json_extract(label.value, '$.key') = %%s AND json_extract(label.value, '$.value') = %%s)"
    )

    def __init__(self, field: str, key: str, value: str):
        super().__init__(F(field))
        self.label = (key, value)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = super().as_sql(compiler, connection, **extra)
        return sql, (*params, *self.label)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = super().as_sql(compiler, connection, template="%(expressions)s @> %%s::jsonb", **extra)
        key, value = self.label
        return sql, (*params, json.dumps([{"key": key, "value": value}]))


def executions_matching(*, conditions: Sequence[Filter], now: datetime | None = None) -> QuerySet[Execution]:
    """The executions matching every condition (fields and operations as in `EXECUTION_FILTERS`)."""
    _check_one_time_window(conditions)
    now = now or timezone.now()
    executions = Execution.objects.all()
    for condition in conditions:
        executions = executions.filter(_execution_condition(condition, now))
    return executions


def logs_matching(*, conditions: Sequence[Filter], now: datetime | None = None) -> QuerySet[LogEntry]:
    """The log lines matching every condition (fields and operations as in `LOG_FILTERS`)."""
    _check_one_time_window(conditions)
    now = now or timezone.now()
    logs = LogEntry.objects.all()
    for condition in conditions:
        logs = logs.filter(_log_condition(condition, now))
    return logs


def _execution_condition(condition: Filter, now: datetime) -> Q:
    field, value = condition.field, condition.value
    if field == "q":
        return Q(id__icontains=value) | Q(namespace__icontains=value) | Q(flow_id__icontains=value)
    if field in ("namespace", "flowId", "id"):
        return _text(condition, {"namespace": "namespace", "flowId": "flow_id", "id": "id"}[field])
    if field == "state":
        return _text(condition, "state", lambda text: State(text).value)
    if field == "labels":
        if not condition.key:
            detail = "a label filter names its key: filters[labels][OPERATION][key]=value"
            raise Invalid("invalid value for labels", [ErrorDetail(_parameter(condition), detail)])
        has = Q(HasLabel("labels", condition.key, value))
        return ~has if condition.operation == "NOT_EQUALS" else has
    if field in ("startDate", "endDate"):
        return _date(condition, "created_at" if field == "startDate" else "ended_at")
    if field == "timeRange":
        return Q(created_at__gte=now - _checked(condition, to_duration)[0])
    if field == "childFilter":
        return Q(parent_task_run__isnull=_checked(condition, _child_filter)[0] == "MAIN")
    return Q(parent_id=value)  # parentId


def _log_condition(condition: Filter, now: datetime) -> Q:
    field = condition.field
    if field == "q":
        return Q(message__icontains=condition.value)
    columns = {
        "namespace": "execution__namespace", "flowId": "execution__flow_id", "executionId": "execution_id",
        "taskId": "task_id", "taskRunId": "task_run_id",
    }  # fmt: skip
    if field in columns:
        return _text(condition, columns[field])
    if field == "level":
        if condition.operation == "GREATER_THAN_OR_EQUAL_TO":  # this level and those more severe, as minLevel
            level = _checked(condition, _level)[0]
            return Q(level__in=LogEntry.LEVELS[LogEntry.LEVELS.index(level) :])
        return _text(condition, "level", _level)
    if field in ("startDate", "endDate"):  # a line has one date: its timestamp
        return _date(condition, "timestamp")
    return Q(timestamp__gte=now - _checked(condition, to_duration)[0])  # timeRange


def _text(condition: Filter, column: str, read: Callable[[str], str] = str) -> Q:
    """A text column against the condition's value (its values for IN and NOT_IN), each read by `read`."""
    values = _checked(condition, read)
    operation = _NEGATED.get(condition.operation, condition.operation)
    if operation == "PREFIX":  # a namespace and those below it
        match = Q(**{column: values[0]}) | Q(**{f"{column}__startswith": values[0] + "."})
    elif operation == "IN":
        match = Q(**{f"{column}__in": values})
    else:
        match = Q(**{f"{column}__{_TEXT_LOOKUPS[operation]}": values[0]})
    return ~match if condition.operation in _NEGATED else match


def _date(condition: Filter, column: str) -> Q:
    moment = _checked(condition, to_datetime)[0]
    return Q(**{f"{column}__{_DATE_LOOKUPS[condition.operation]}": moment})


def _checked(condition: Filter, read: Callable[[str], Any]) -> list[Any]:
    """The condition's value, or each of its comma-separated values for IN and NOT_IN, read by `read`."""
    raw = condition.value.split(",") if condition.operation in ("IN", "NOT_IN") else [condition.value]
    try:
        return [read(item.strip()) for item in raw]
    except ValueError as exc:
        raise Invalid(
            f"invalid value for {condition.field}", [ErrorDetail(_parameter(condition), f"{exc}: '{condition.value}'")]
        ) from None


def _child_filter(text: str) -> str:
    if text not in CHILD_FILTERS:
        raise ValueError(f"expected one of {', '.join(CHILD_FILTERS)}")
    return text


def _level(text: str) -> str:
    if text not in LogEntry.LEVELS:
        raise ValueError(f"expected one of {', '.join(LogEntry.LEVELS)}")
    return text


def _parameter(condition: Filter) -> str:
    key = f"[{condition.key}]" if condition.key else ""
    return f"filters[{condition.field}][{condition.operation}]{key}"


def _check_one_time_window(conditions: Sequence[Filter]) -> None:
    """A relative `timeRange` and an absolute `startDate` contradict each other, as Kestra says."""
    fields = {condition.field for condition in conditions}
    if {"timeRange", "startDate"} <= fields:
        detail = "timeRange and startDate cannot be used together"
        raise Invalid(detail, [ErrorDetail("timeRange", detail)])
