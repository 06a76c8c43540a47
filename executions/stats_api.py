"""`GET /stats/executions`: counts by state, success rate and average duration of the executions started
within a window (flowhub's own; the aggregates of the AI-ETL metrics endpoint)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import request_access
from flowhub.api.serializers import CompactSerializer
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.inputs.temporal import to_datetime, to_duration
from flowhub.engine.namespaces import validate_namespace
from flowhub.exceptions import Invalid

from . import statistics

DEFAULT_WINDOW = timedelta(days=1)
Parsed = TypeVar("Parsed")


class ExecutionStatsSerializer(CompactSerializer):
    startDate = serializers.DateTimeField(source="start")
    endDate = serializers.DateTimeField(source="end")
    namespace = serializers.CharField(required=False)
    flowId = serializers.CharField(source="flow_id", required=False)
    total = serializers.IntegerField(source="stats.total")
    countsByState = serializers.DictField(source="stats.counts", child=serializers.IntegerField())
    finished = serializers.IntegerField(
        source="stats.finished", help_text="Executions that ended SUCCESS, WARNING, FAILED, KILLED or CANCELLED."
    )
    successRate = serializers.FloatField(
        source="stats.success_rate", required=False, help_text="SUCCESS and WARNING over finished, 0 to 1."
    )
    averageDurationSeconds = serializers.SerializerMethodField(help_text="Over the finished executions.")

    def get_averageDurationSeconds(self, report: dict[str, Any]) -> float | None:
        average: timedelta | None = report["stats"].average_duration
        return round(average.total_seconds(), 6) if average is not None else None


class ExecutionStatsApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="getExecutionStats",
        summary="Counts by state, success rate and average duration of the executions started in a window",
        parameters=[
            OpenApiParameter("timeRange", str, description="ISO-8601 duration back from now, e.g. PT1H (default P1D)"),
            OpenApiParameter("startDate", str, description="ISO-8601 date-time with a zone; not with timeRange"),
            OpenApiParameter("endDate", str, description="ISO-8601 date-time with a zone (default now)"),
            OpenApiParameter("namespace", str, description="This namespace and those below it"),
            OpenApiParameter("flowId", str),
        ],
        responses=ExecutionStatsSerializer,
        tags=["Stats"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        params = request.query_params
        start, end = _window(params, timezone.now())
        namespace, flow_id = params.get("namespace") or None, params.get("flowId") or None
        if namespace and (problem := validate_namespace(namespace)):
            raise Invalid(f"invalid namespace '{namespace}'", [ErrorDetail("namespace", problem)])
        stats = statistics.execution_stats(
            access=request_access(request), start=start, end=end, namespace=namespace, flow_id=flow_id
        )
        report = {"start": start, "end": end, "namespace": namespace, "flow_id": flow_id, "stats": stats}
        return Response(ExecutionStatsSerializer(report).data)


def _window(params: QueryDict, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) from `timeRange`, or from `startDate` and `endDate`; each bad one named."""
    if params.get("timeRange"):
        if params.get("startDate") or params.get("endDate"):
            detail = "give timeRange, or startDate and endDate, not both"
            raise Invalid(detail, [ErrorDetail("timeRange", detail)])
        time_range = _parsed(params, "timeRange", to_duration)
        if time_range <= timedelta(0):
            raise Invalid("invalid timeRange", [ErrorDetail("timeRange", "must be a positive duration")])
        return now - time_range, now
    end = _parsed(params, "endDate", to_datetime) if params.get("endDate") else now
    start = _parsed(params, "startDate", to_datetime) if params.get("startDate") else end - DEFAULT_WINDOW
    if start >= end:
        raise Invalid("invalid window", [ErrorDetail("startDate", "must be before endDate")])
    return start, end


def _parsed(params: QueryDict, name: str, read: Callable[[str], Parsed]) -> Parsed:
    try:
        return read(params[name])
    except ValueError as exc:
        raise Invalid(f"invalid {name}", [ErrorDetail(name, f"{exc}: '{params[name]}'")]) from None
