"""Kestra's live streams (kestra-api.md §4.5, §6): `GET /executions/{id}/follow`, `GET /logs/{id}/follow`.

The view authenticates and checks its input like every other (a problem answer before the stream
starts); the stream itself is an async iterator the ASGI server drains, fed by the follow hub.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import access_require, request_access
from flowhub.api.problems import Problem
from flowhub.api.sse import CONTENT_TYPE, EventStreamResponse
from flowhub.api.streaming import AnyAcceptNegotiation
from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import NotFound

from . import selectors, streams
from .log_cursor import START, LogCursor
from .models import Execution, LogEntry
from .stream_selectors import LogFilter, log_lines_remain

LAST_EVENT_ID = "Last-Event-ID"


def _resume_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter(LAST_EVENT_ID, str, OpenApiParameter.HEADER, description=description)


def _stream_responses(events: str) -> dict[Any, OpenApiResponse | None]:
    return {
        (200, CONTENT_TYPE): OpenApiResponse(OpenApiTypes.STR, description=events),
        204: OpenApiResponse(description="The stream resumed from `Last-Event-ID` has nothing more to send."),
        404: None,
    }


def _bad_resume(detail: str) -> Problem:
    return Problem(
        400, "invalid-header", "Invalid header", f"the {LAST_EVENT_ID} header is not of this stream: {detail}",
        [ErrorDetail(LAST_EVENT_ID, detail)],
    )  # fmt: skip


def _execution_awaited(request: Request, execution_id: str) -> Execution:
    """The execution, waiting a little for one that does not exist yet, as Kestra does for a client that
    follows an execution created a moment ago elsewhere. One that appears meanwhile is checked here: the
    permission could not look at its namespace."""
    try:
        return selectors.execution_get(execution_id=execution_id)
    except NotFound:
        streams.connection_release()  # this thread holds no connection while it waits

    async def appeared() -> bool:
        return await streams.follow_hub().appeared(execution_id, settings.FLOWHUB_FOLLOW_APPEAR_SECONDS)

    async_to_sync(appeared)()
    execution = selectors.execution_get(execution_id=execution_id)
    access_require(request_access(request), execution.namespace, Role.VIEWER, what=f"execution '{execution_id}'")
    return execution


class ExecutionFollowApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="followExecution",
        summary="Follow an execution as Server-Sent Events until it ends",
        description=(
            'Events: `id: start` with `{"id"}`, then the execution\'s JSON at each change (the id is its '
            "position: the number of state changes of the execution and its task runs), then `id: end` with the "
            "terminal execution, and the stream closes. Several changes within one poll come as one event whose "
            "state histories hold them all. `Last-Event-ID` resumes after that event."
        ),
        parameters=[_resume_parameter("`start` or a progress id: resume after it; `end`: answers 204.")],
        responses=_stream_responses("`id:` and `data:` (an Execution) per event; `: keepalive` comments."),
        tags=["Executions"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> Response | EventStreamResponse:
        resume = request.headers.get(LAST_EVENT_ID)
        if resume not in (None, "start", "end") and not (resume.isdigit() and len(resume) < 19):
            raise _bad_resume("expected start, end or a progress number")
        execution = _execution_awaited(request, execution_id)
        if resume == "end":
            return Response(status=204)
        position = int(resume) if resume and resume.isdigit() else None
        return EventStreamResponse(
            streams.execution_events(execution_id=execution.id, position=position, send_start=resume is None)
        )


class LogFollowApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    class FilterSerializer(serializers.Serializer):
        minLevel = serializers.ChoiceField(choices=LogEntry.LEVELS, required=False)
        taskId = serializers.CharField(required=False)
        taskRunId = serializers.CharField(required=False)

    @extend_schema(
        operation_id="followLogsFromExecution",
        summary="Follow the log lines of an execution as Server-Sent Events",
        description=(
            "Events: `id: start` with `{}`, then one LogEntry per event, those stored first, then new ones as they "
            "are stored; the stream closes once the execution has ended and every line was sent. Event ids are "
            "positions in the log: `Last-Event-ID` resumes after that line, missing none and repeating none."
        ),
        parameters=[FilterSerializer, _resume_parameter("`start` or a line's event id: resume after it.")],
        responses=_stream_responses("`id:` and `data:` (a LogEntry) per event; `: keepalive` comments."),
        tags=["Logs"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> Response | EventStreamResponse:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        log_filter = LogFilter(filters.get("minLevel"), filters.get("taskId"), filters.get("taskRunId"))
        resume = request.headers.get(LAST_EVENT_ID)
        try:
            cursor = START if resume in (None, "start") else LogCursor.parse(resume)
        except ValueError as error:
            raise _bad_resume(str(error)) from error
        execution = _execution_awaited(request, execution_id)
        ended = resume is not None and execution.is_terminal
        if ended and not log_lines_remain(execution_id=execution.id, cursor=cursor, log_filter=log_filter):
            return Response(status=204)
        events = streams.log_events(
            execution_id=execution.id, cursor=cursor, log_filter=log_filter, send_start=resume is None
        )
        return EventStreamResponse(events)
