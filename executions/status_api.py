"""Changing the status of ended executions (kestra-api.md §4.4): `POST /executions/{id}/change-status?status=`
(Kestra 1.x) and `/actions/change-status` (2.0), both answering the execution; `…/change-status/by-ids` and
`/by-query` with `newStatus`, as Kestra names it there."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from flowhub.engine.states import STATUS_CHANGE_TARGETS, TERMINAL, State

from . import actions, selectors
from .bulk_api import BulkAction, bulk_views
from .serializers import ExecutionSerializer
from .state_parameters import state_parameter, state_parameter_schema

RULE = "an execution's status can only be changed to an end"


def status_parameter(request: Request, name: str) -> State:
    """The end the query parameter `name` asks for (`state_parameter`)."""
    return state_parameter(request, name, STATUS_CHANGE_TARGETS, RULE)


def _parameter(name: str) -> OpenApiParameter:
    return state_parameter_schema(name, STATUS_CHANGE_TARGETS, "The state to set")


class ExecutionStatusApi(APIView):
    """Kestra 1.x: `POST /executions/{id}/change-status`."""

    required_role = Role.EXECUTOR

    @extend_schema(
        operation_id="updateExecutionStatus",
        summary="Set an ended execution's state to another end (409 while it runs); its task runs are left as they are",
        parameters=[_parameter("status")],
        request=None,
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        actions.execution_status_set(execution_id=execution_id, status=status_parameter(request, "status"))
        return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)


@extend_schema_view(post=extend_schema(operation_id="updateExecutionStatusAction"))
class ExecutionStatusActionApi(ExecutionStatusApi):
    """Kestra 2.0: `POST /executions/{id}/actions/change-status`."""


ExecutionStatusByIdsApi, ExecutionStatusByQueryApi = bulk_views(
    BulkAction(
        name="change-status",
        operation="updateExecutionsStatus",
        summary="Set the state of the ended executions to newStatus",
        act=lambda execution_id, options: actions.execution_status_set(
            execution_id=execution_id, status=options["status"]
        ),
        applies_to=lambda options: Q(state__in=TERMINAL) & ~Q(state=options["status"]),
        options=lambda request: {"status": status_parameter(request, "newStatus")},
        parameters=[_parameter("newStatus")],
    )
)
