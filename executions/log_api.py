"""Log lines as a text file (`GET /logs/{executionId}/download`), across executions (`GET /logs/search`) and
deleted by flow (`DELETE /logs/{namespace}/{flowId}`), kestra-api.md §6. Listing and deleting one execution's
lines are in api.py, on the path they share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import request_access
from flowhub.api.filters import parse_filters
from flowhub.api.pagination import page_request, paged_response
from flowhub.api.streaming import AnyAcceptNegotiation, StreamingFileResponse
from flowhub.timestamps import iso_utc

from . import deletion, selectors
from .api import LOG_DELETION, LogFilterSerializer, filtered_logs
from .models import LogEntry
from .search import LOG_FILTERS, LOG_LEGACY_PARAMETERS
from .search_api import legacy_conditions, legacy_parameters, paging_parameters
from .serializers import LogEntrySerializer


def log_line(entry: LogEntry) -> str:
    """`<timestamp> <LEVEL> [<taskId>] <message>`: the task is left out of an execution's own lines."""
    task = f"[{entry.task_id}] " if entry.task_id else ""
    return f"{iso_utc(entry.timestamp)} {entry.level:<5} {task}{entry.message}\n"


def log_file_chunks(logs: QuerySet[LogEntry]) -> Iterator[bytes]:
    for batch in selectors.log_batches(logs=logs):
        yield "".join(map(log_line, batch)).encode()


class LogDownloadApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="downloadLogsFromExecution",
        summary="The log lines of an execution as a text file, one formatted line each, oldest first",
        parameters=[LogFilterSerializer],
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR), 404: None},
        tags=["Logs"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> StreamingFileResponse:
        execution, logs = filtered_logs(request, execution_id)
        response = StreamingFileResponse(log_file_chunks(logs), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{execution.id}.log")
        if not execution.is_terminal:
            response["Cache-Control"] = "no-cache"  # more lines are coming
        return response


LOG_SORTS = {"timestamp": "timestamp", "namespace": "execution__namespace", "flowId": "execution__flow_id"}


class LogPageSerializer(serializers.Serializer):
    results = LogEntrySerializer(many=True)
    total = serializers.IntegerField()


class LogSearchApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="searchLogs",
        summary="Search log lines across executions: filters[field][OPERATION]=value or flat parameters; newest first",
        description="Filter fields: "
        + "; ".join(f"{field} ({', '.join(sorted(operations))})" for field, operations in LOG_FILTERS.items()),
        parameters=[*paging_parameters(LOG_SORTS), *legacy_parameters(LOG_LEGACY_PARAMETERS)],
        responses=LogPageSerializer,
        tags=["Logs"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        params = request.query_params
        paging = page_request(params, LOG_SORTS, default=("-timestamp", "-id"))
        conditions = parse_filters(params, LOG_FILTERS) + legacy_conditions(params, LOG_LEGACY_PARAMETERS)
        logs = selectors.log_search(access=request_access(request), conditions=conditions)
        return paged_response(request, logs, paging, lambda rows: LogEntrySerializer(rows, many=True).data)


class FlowLogDeleteApi(APIView):
    class FilterSerializer(serializers.Serializer):
        triggerId = serializers.CharField(
            max_length=100, required=False, help_text="Only the lines of the executions this trigger started"
        )

    @extend_schema(
        operation_id="deleteLogsFromFlow",
        summary="Delete the log lines of a flow's executions (of those one of its triggers started, with triggerId)",
        parameters=[FilterSerializer],
        responses=LOG_DELETION,
        tags=["Logs"],
    )
    def delete(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        deleted = deletion.flow_logs_delete(
            namespace=namespace, flow_id=flow_id, trigger_id=query.validated_data.get("triggerId")
        )
        return Response({"count": deleted})
