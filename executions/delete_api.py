"""Deleting executions, one (`DELETE /executions/{id}`, in api.py beside its GET), by ids or by query; killing
by query (kestra-api.md §4.4). Bulk requests answer `{count}` and act on at most `MAX_BULK` executions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import namespace_q, request_access
from flowhub.api.filters import Filter, parse_filters
from flowhub.api.parsers import BoundedJSONParser
from flowhub.api.problems import Problem
from flowhub.engine.errors import ErrorDetail

from . import actions, deletion, selectors
from .models import Execution
from .search import EXECUTION_FILTERS, LEGACY_PARAMETERS, executions_matching


class DeleteQuerySerializer(serializers.Serializer):
    deleteLogs = serializers.BooleanField(
        default=True, help_text="Always true: flowhub keeps no log line without its execution"
    )
    deleteMetrics = serializers.BooleanField(default=True, help_text="Accepted; flowhub stores no per-execution metric")
    deleteStorage = serializers.BooleanField(default=True, help_text="Delete its stored files (inputs, task outputs)")

    def validate_deleteLogs(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("flowhub keeps no log line without its execution; it must be true")
        return value


class BulkDeleteQuerySerializer(DeleteQuerySerializer):
    includeNonTerminated = serializers.BooleanField(
        default=False, help_text="Delete those that have not ended too, killing them first"
    )


def delete_query(request: Request, serializer: type[DeleteQuerySerializer]) -> dict[str, Any]:
    # A dict, not the QueryDict: DRF reads a boolean missing from form data as false, not its default.
    query = serializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


DELETION = inline_serializer(
    "ExecutionDeletion",
    {
        "id": serializers.CharField(),
        "deletedLogs": serializers.IntegerField(help_text="Log lines deleted"),
        "deletedFiles": serializers.IntegerField(help_text="Stored files deleted (0 with deleteStorage=false)"),
    },
)
COUNT = inline_serializer("BulkCount", {"count": serializers.IntegerField()})
FILTERS_DESCRIPTION = (
    "The executions are chosen by filters[field][OPERATION]=value, as GET /executions/search takes them; at least "
    "one, and no flat parameter (q, namespace, state…)."
)


def deletion_json(deleted: deletion.Deletion) -> dict[str, Any]:
    return {"id": deleted.execution_id, "deletedLogs": deleted.logs, "deletedFiles": deleted.files}


def query_conditions(params: QueryDict) -> list[Filter]:
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


def _matching(request: Request, role: Role) -> QuerySet[Execution]:
    """The executions the query's filters select among those where the caller has `role`."""
    executions = executions_matching(conditions=query_conditions(request.query_params))
    return executions.filter(namespace_q(request_access(request), role))


class ExecutionDeleteByIdsApi(APIView):
    scopes_itself = True
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="deleteExecutionsByIds",
        summary="Delete several executions; those unknown, or not ended (unless includeNonTerminated), are left out",
        parameters=[BulkDeleteQuerySerializer],
        request=serializers.ListField(child=serializers.CharField()),
        responses=COUNT,
        tags=["Executions"],
    )
    def delete(self, request: Request, **_: Any) -> Response:
        query = delete_query(request, BulkDeleteQuerySerializer)
        ids = serializers.ListField(child=serializers.CharField(max_length=22), max_length=actions.MAX_BULK)
        allowed = selectors.execution_ids_allowed(
            access=request_access(request), role=Role.EDITOR, execution_ids=ids.run_validation(request.data)
        )
        count = deletion.executions_delete(
            execution_ids=allowed,
            include_non_terminated=query["includeNonTerminated"],
            delete_storage=query["deleteStorage"],
        )
        return Response({"count": count})


class ExecutionDeleteByQueryApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="deleteExecutionsByQuery",
        summary=f"Delete the executions the filters select, the oldest {actions.MAX_BULK} at most per request",
        description=FILTERS_DESCRIPTION,
        parameters=[BulkDeleteQuerySerializer],
        request=None,
        responses=COUNT,
        tags=["Executions"],
    )
    def delete(self, request: Request, **_: Any) -> Response:
        query = delete_query(request, BulkDeleteQuerySerializer)
        count = deletion.executions_delete_matching(
            executions=_matching(request, Role.EDITOR),
            include_non_terminated=query["includeNonTerminated"],
            delete_storage=query["deleteStorage"],
        )
        return Response({"count": count})


class ExecutionKillByQueryApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="killExecutionsByQuery",
        summary=f"Kill the executions the filters select that have not ended, the oldest {actions.MAX_BULK} at most",
        description=FILTERS_DESCRIPTION,
        request=None,
        responses=COUNT,
        tags=["Executions"],
    )
    def delete(self, request: Request, **_: Any) -> Response:
        return Response({"count": actions.executions_kill_matching(executions=_matching(request, Role.EXECUTOR))})
