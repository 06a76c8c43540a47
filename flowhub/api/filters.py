"""Kestra's query filters: `filters[field][OP]=value` (and `filters[labels][OP][key]=value`).

Legacy flat parameters (`namespace=`, `q=`, `labels=k:v`) are translated by each endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import QueryDict

from flowhub.engine.errors import ErrorDetail

from .problems import Problem

_FILTER = re.compile(r"filters\[(\w+)\]\[(\w+)\](?:\[([^\]]+)\])?")
OPERATIONS = frozenset(
    {
        "EQUALS", "NOT_EQUALS", "GREATER_THAN", "LESS_THAN", "GREATER_THAN_OR_EQUAL_TO", "LESS_THAN_OR_EQUAL_TO",
        "IN", "NOT_IN", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "NOT_CONTAINS", "IS_NULL", "IS_NOT_NULL", "REGEX",
        "PREFIX",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Filter:
    field: str
    operation: str
    value: str
    key: str | None = None
    """For map-valued fields (labels): the map key."""


def parse_filters(params: QueryDict, supported: dict[str, frozenset[str]]) -> list[Filter]:
    """The `filters[...]` parameters, checked against `supported` (field → operations)."""
    filters: list[Filter] = []
    errors: list[ErrorDetail] = []
    for name in params:
        if not name.startswith("filters["):
            continue
        match = _FILTER.fullmatch(name)
        if match is None:
            errors.append(ErrorDetail(name, "not of the form filters[field][OPERATION]"))
            continue
        field, operation, key = match.groups()
        if operation not in OPERATIONS:
            errors.append(ErrorDetail(name, f"unknown operation '{operation}'"))
        elif field not in supported:
            errors.append(ErrorDetail(name, f"cannot filter on '{field}' here; fields: {', '.join(sorted(supported))}"))
        elif operation not in supported[field]:
            allowed = ", ".join(sorted(supported[field]))
            errors.append(ErrorDetail(name, f"'{field}' supports {allowed}, not {operation}"))
        else:
            filters.extend(Filter(field, operation, value, key) for value in params.getlist(name))
    if errors:
        raise Problem(400, "invalid-query-filters", "Invalid query filters", "invalid filters", errors)
    return filters
