"""Kestra's bulk routes (kestra-api.md §4.4): `…/<action>/by-ids`, a JSON list of ids, and `…/<action>/by-query`,
`filters[…]`, both answering `{"count": N}`. A `BulkAction` says what its pair does to one execution; `bulk_views`
makes the pair, which reaches only the executions where the caller holds the action's role. A pair whose bodies
differ from those (the labels') calls `act_on_listed` and `act_on_matching` itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.http import QueryDict
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import namespace_q, request_access
from flowhub.api.filters import Filter, parse_filters
from flowhub.api.parsers import BoundedJSONParser
from flowhub.api.problems import Problem
from flowhub.engine.errors import ErrorDetail

from . import selectors
from .bulk import MAX_BULK, executions_act, oldest_ids
from .search import EXECUTION_FILTERS, LEGACY_PARAMETERS, executions_matching

COUNT = inline_serializer("BulkCount", {"count": serializers.IntegerField()})
IDS = serializers.ListField(child=serializers.CharField(max_length=22), max_length=MAX_BULK)
ID_LIST = {"application/json": {"type": "array", "items": {"type": "string"}}}
FILTERS_DESCRIPTION = (
    "The executions are chosen by filters[field][OPERATION]=value, as GET /executions/search takes them; at least "
    "one, and no flat parameter (q, namespace, state…)."
)

Options = dict[str, Any]


def _query_conditions(params: QueryDict) -> list[Filter]:
    """A bulk request's `filters[...]`: at least one, and no legacy flat parameter (as Kestra's newest server,
    which answers those with 400 on every route that changes what it selects)."""
    errors = [
        ErrorDetail(name, "flat search parameters select nothing here; use filters[field][OPERATION]=value")
        for name in LEGACY_PARAMETERS
        if name in params
    ]
    conditions = parse_filters(params, EXECUTION_FILTERS) if not errors else []
    if not errors and not conditions:
        errors.append(ErrorDetail("filters", "at least one filter is required: an empty query would select all"))
    if errors:
        raise Problem(400, "invalid-query-filters", "Invalid query filters", "invalid filters", errors)
    return conditions


def act_on_listed(request: Request, role: Role, act: Callable[[str], object], ids: Any = None) -> Response:
    """`act` on each execution listed in the body (or in `ids`, taken from it: at most `MAX_BULK` ids of at most 22
    characters) where the caller holds `role`, the others left out as unknown ones are; `{count}` of those done."""
    listed = IDS.run_validation(request.data if ids is None else ids)
    allowed = selectors.execution_ids_allowed(access=request_access(request), role=role, execution_ids=listed)
    return Response({"count": executions_act(execution_ids=allowed, act=act)})


def act_on_matching(request: Request, role: Role, applies_to: Q, act: Callable[[str], object]) -> Response:
    """`act` on the oldest `MAX_BULK` executions the query's filters select among those `applies_to` and where the
    caller holds `role`; `{count}` of those done."""
    executions = executions_matching(conditions=_query_conditions(request.query_params))
    executions = executions.filter(namespace_q(request_access(request), role), applies_to)
    return Response({"count": executions_act(execution_ids=oldest_ids(executions), act=act)})


def _no_options(request: Request) -> Options:
    return {}


@dataclass(frozen=True)
class BulkAction:
    """What a pair of bulk routes does to each execution it reaches."""

    name: str
    """The word of its paths: `executions/<name>/by-ids`."""
    operation: str
    """The stem of its operation ids, Kestra's: `killExecutions` names killExecutionsByIds and …ByQuery."""
    summary: str
    """What it does, said of the executions it reaches: `Kill the executions … that have not ended`."""
    act: Callable[[str, Options], object]
    """Do it to one execution, given the request's options; raising one of `bulk.REFUSALS` leaves it out of the
    count."""
    applies_to: Callable[[Options], Q]
    """The executions it can act on: by-query's oldest `MAX_BULK` are chosen among those, so that a request
    repeated while its count is `MAX_BULK` reaches them all."""
    role: Role = Role.EXECUTOR
    method: str = "post"
    options: Callable[[Request], Options] = _no_options
    """Its query parameters, read and checked (a problem naming the one at fault)."""
    parameters: list[Any] = field(default_factory=list)
    """Those parameters, for the schema: `OpenApiParameter`s or a serializer."""


def bulk_views(action: BulkAction) -> tuple[type[APIView], type[APIView]]:
    """The views of `executions/<name>/by-ids` and `executions/<name>/by-query`."""
    stem = "".join(word.capitalize() for word in action.name.split("-"))

    @extend_schema(
        operation_id=f"{action.operation}ByIds",
        summary=f"{action.summary}, among those listed; the others are left out of the count",
        parameters=action.parameters,
        request=ID_LIST,
        responses=COUNT,
        tags=["Executions"],
    )
    def by_ids(self: APIView, request: Request, **_: Any) -> Response:
        options = action.options(request)
        return act_on_listed(request, action.role, lambda execution_id: action.act(execution_id, options))

    @extend_schema(
        operation_id=f"{action.operation}ByQuery",
        summary=f"{action.summary}, among those the filters select: the oldest {MAX_BULK} at most per request",
        description=FILTERS_DESCRIPTION,
        parameters=action.parameters,
        request=None,
        responses=COUNT,
        tags=["Executions"],
    )
    def by_query(self: APIView, request: Request, **_: Any) -> Response:
        options = action.options(request)
        applies_to = action.applies_to(options)
        return act_on_matching(request, action.role, applies_to, lambda execution_id: action.act(execution_id, options))

    parsers: list[type[BaseParser]] = [BoundedJSONParser]
    by_ids_view = type(f"Execution{stem}ByIdsApi", (APIView,), {action.method: by_ids, "parser_classes": parsers})
    by_query_view = type(f"Execution{stem}ByQueryApi", (APIView,), {action.method: by_query})
    for view in (by_ids_view, by_query_view):
        view.scopes_itself = True  # type: ignore[attr-defined]
    return by_ids_view, by_query_view
