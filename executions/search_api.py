"""Finding executions (kestra-api.md §4.3): `GET /executions/search` with Kestra's filters or its legacy flat
parameters, and `GET /executions?namespace&flowId`; pages of `{results, total}` with X-Total-Count and Link."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import request_access
from flowhub.api.filters import Filter, parse_filters
from flowhub.api.pagination import MAX_PAGE_SIZE, page_request, paged_response
from flowhub.api.serializers import LabelParameterField

from . import selectors
from .search import EXECUTION_FILTERS, LEGACY_PARAMETERS
from .serializers import ExecutionSerializer

EXECUTION_SORTS = {
    "id": "id",
    "namespace": "namespace",
    "flowId": "flow_id",
    "flowRevision": "flow_revision__revision",
    "state.current": "state",
    "state.startDate": "created_at",
    "state.endDate": "ended_at",
}
NEWEST_FIRST = ("-created_at", "-id")


def legacy_conditions(params: QueryDict, legacy: dict[str, tuple[str, str, str]]) -> list[Filter]:
    """The flat parameters (`legacy`: name → field, operation) as the filters they stand for: `state` repeated
    is one IN, `labels` one filter per label."""
    conditions: list[Filter] = []
    for name, (field, operation, _) in legacy.items():
        values = [value for value in params.getlist(name) if value != ""]
        if not values:
            continue
        if name == "labels":
            labels = LegacyLabelsSerializer(data={"labels": values})
            labels.is_valid(raise_exception=True)
            conditions += [Filter(field, operation, value, key) for key, value in labels.validated_data["labels"]]
        elif name == "state":
            conditions.append(Filter(field, operation, ",".join(values)))
        else:
            conditions += [Filter(field, operation, value) for value in values]
    return conditions


class LegacyLabelsSerializer(serializers.Serializer):
    labels = serializers.ListField(child=LabelParameterField(), required=False, default=list)


def legacy_parameters(legacy: dict[str, tuple[str, str, str]]) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(name, str, many=name in ("state", "labels"), description=description)
        for name, (_, _, description) in legacy.items()
    ]


def paging_parameters(sorts: dict[str, str]) -> list[OpenApiParameter]:
    return [
        OpenApiParameter("page", int, description="From 1"),
        OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
        OpenApiParameter("sort", str, many=True, description="field:asc|desc, repeatable; fields: " + ", ".join(sorts)),
    ]


PAGING_PARAMETERS = [
    OpenApiParameter("page", int, description="From 1"),
    OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
    OpenApiParameter(
        "sort", str, many=True, description="field:asc|desc, repeatable; fields: " + ", ".join(EXECUTION_SORTS)
    ),
]


class ExecutionPageSerializer(serializers.Serializer):
    results = ExecutionSerializer(many=True)
    total = serializers.IntegerField()


def _page(request: Request, conditions: list[Filter]) -> Response:
    paging = page_request(request.query_params, EXECUTION_SORTS, default=NEWEST_FIRST)
    executions = selectors.execution_search(access=request_access(request), conditions=conditions)
    return paged_response(request, executions, paging, lambda rows: ExecutionSerializer(rows, many=True).data)


class ExecutionSearchApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="searchExecutions",
        summary="Search executions: filters[field][OPERATION]=value, or Kestra 1.x's flat parameters; newest first",
        description="Filter fields: "
        + "; ".join(f"{field} ({', '.join(sorted(operations))})" for field, operations in EXECUTION_FILTERS.items()),
        parameters=[*PAGING_PARAMETERS, *legacy_parameters(LEGACY_PARAMETERS)],
        responses=ExecutionPageSerializer,
        tags=["Executions"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        params = request.query_params
        return _page(request, parse_filters(params, EXECUTION_FILTERS) + legacy_conditions(params, LEGACY_PARAMETERS))


class ExecutionListApi(APIView):
    scopes_itself = True

    class FilterSerializer(serializers.Serializer):
        namespace = serializers.CharField()
        flowId = serializers.CharField()

    @extend_schema(
        operation_id="searchExecutionsByFlowId",
        summary="The executions of one flow, newest first",
        parameters=[FilterSerializer, *PAGING_PARAMETERS],
        responses=ExecutionPageSerializer,
        tags=["Executions"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        flow = [
            Filter("namespace", "EQUALS", query.validated_data["namespace"]),
            Filter("flowId", "EQUALS", query.validated_data["flowId"]),
        ]
        return _page(request, flow)
