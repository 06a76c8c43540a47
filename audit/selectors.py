"""Reading the audit log: the rows a caller may see, matching Kestra-style filters."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet

from access.roles import Access, Role
from access.selectors import namespace_q
from flowhub.api.filters import Filter
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.inputs.temporal import to_datetime
from flowhub.exceptions import Invalid

from .models import AuditEntry

_TEXT = frozenset({"EQUALS", "IN"})
_DATES = frozenset({"GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO"})
AUDIT_FILTERS = {
    "namespace": frozenset({"EQUALS", "PREFIX", "STARTS_WITH"}),
    "actor": _TEXT,
    "action": _TEXT | {"PREFIX", "STARTS_WITH"},
    "target": frozenset({"EQUALS", "STARTS_WITH", "CONTAINS"}),
    "via": _TEXT,
    "requestId": frozenset({"EQUALS"}),
    "startDate": _DATES,
    "endDate": _DATES,
}
"""What `filters[field][OPERATION]` may name; `startDate` and `endDate` both bound the entry's time, as in
Kestra's log search."""

_COLUMNS = {
    "namespace": "namespace", "actor": "actor_name", "action": "action", "target": "target", "via": "via",
    "requestId": "request_id", "startDate": "at", "endDate": "at",
}  # fmt: skip
_LOOKUPS = {
    "EQUALS": "exact", "IN": "in", "STARTS_WITH": "startswith", "CONTAINS": "contains", "GREATER_THAN": "gt",
    "GREATER_THAN_OR_EQUAL_TO": "gte", "LESS_THAN": "lt", "LESS_THAN_OR_EQUAL_TO": "lte",
}  # fmt: skip


def audit_entries(*, access: Access, conditions: Sequence[Filter] = ()) -> QuerySet[AuditEntry]:
    """The entries of the namespaces where `access` holds the admin role that match every condition. Entries in
    no namespace (tokens, roles on every namespace) only for an admin of every namespace: `namespace_q` gives a
    prefix on which no blank namespace falls to anyone else."""
    entries = AuditEntry.objects.filter(namespace_q(access, Role.ADMIN))
    for condition in conditions:
        entries = entries.filter(_condition(condition))
    return entries


def _condition(condition: Filter) -> Q:
    column, operation = _COLUMNS[condition.field], condition.operation
    if operation == "PREFIX":  # the value and what is below it in the dot hierarchy: `flow` holds `flow.create`
        return Q(**{column: condition.value}) | Q(**{f"{column}__startswith": condition.value + "."})
    value: object = condition.value
    if operation == "IN":
        value = [item.strip() for item in condition.value.split(",")]
    elif column == "at":
        try:
            value = to_datetime(condition.value)
        except ValueError as exc:
            raise Invalid(
                f"invalid value for {condition.field}", [ErrorDetail(condition.field, f"{exc}: '{condition.value}'")]
            ) from None
    return Q(**{f"{column}__{_LOOKUPS[operation]}": value})
