"""Kestra's unqueue and force-run (kestra-api.md §4.4): `POST /executions/{id}/unqueue?state=` and
`/executions/{id}/force-run` (Kestra 1.x) and their `/actions/…` forms (2.0), all answering the execution; in bulk,
`…/unqueue/by-ids?state=`, `…/unqueue/by-query?newState=` (as Kestra names it there, where `state` is a filter),
`…/force-run/by-ids` and `…/force-run/by-query`, answering `{count}`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from flowhub.engine.states import UNQUEUE_TARGETS, State

from . import queue_actions, selectors
from .bulk_api import BulkAction, bulk_views
from .serializers import ExecutionSerializer
from .state_parameters import state_parameter, state_parameter_schema

RULE = "a queued execution leaves the queue started or ended without running"


def unqueue_state(request: Request, name: str) -> State:
    """The state the query parameter `name` takes a queued execution out of the queue as; RUNNING when not given."""
    return state_parameter(request, name, UNQUEUE_TARGETS, RULE, default=State.RUNNING)


def _parameter(name: str) -> OpenApiParameter:
    description = "RUNNING starts it now, past its flow's concurrency limit; CANCELLED or FAILED end it"
    return state_parameter_schema(name, UNQUEUE_TARGETS, description, default=State.RUNNING)


class ExecutionUnqueueApi(APIView):
    """Kestra 1.x: `POST /executions/{id}/unqueue`."""

    required_role = Role.EXECUTOR

    @extend_schema(
        operation_id="unqueueExecution",
        summary="Take a queued execution out of its flow's concurrency queue, started now or ended (409 unless QUEUED)",
        parameters=[_parameter("state")],
        request=None,
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        queue_actions.execution_unqueue(execution_id=execution_id, state=unqueue_state(request, "state"))
        return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)


@extend_schema_view(post=extend_schema(operation_id="unqueueExecutionAction"))
class ExecutionUnqueueActionApi(ExecutionUnqueueApi):
    """Kestra 2.0: `POST /executions/{id}/actions/unqueue`."""


class ExecutionForceRunApi(APIView):
    """Kestra 1.x: `POST /executions/{id}/force-run`."""

    required_role = Role.EXECUTOR

    @extend_schema(
        operation_id="forceRunExecution",
        summary="Run an execution now: created or queued, it starts whatever its scheduleDate and concurrency "
        "limit; paused, it resumes (409 once it has ended)",
        request=None,
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        queue_actions.execution_force_run(execution_id=execution_id)
        return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)


@extend_schema_view(post=extend_schema(operation_id="forceRunExecutionAction"))
class ExecutionForceRunActionApi(ExecutionForceRunApi):
    """Kestra 2.0: `POST /executions/{id}/actions/force-run`."""


UNQUEUE = BulkAction(
    name="unqueue",
    operation="unqueueExecutions",
    summary="Take the queued executions out of their flows' concurrency queues as the state given, RUNNING by default",
    act=lambda execution_id, options: queue_actions.execution_unqueue(
        execution_id=execution_id, state=options["state"]
    ),
    applies_to=lambda _: Q(state=State.QUEUED),
    options=lambda request: {"state": unqueue_state(request, "state")},
    parameters=[_parameter("state")],
)
ExecutionUnqueueByIdsApi, _ = bulk_views(UNQUEUE)
# Kestra's by-query names the state `newState`: `state` is a search parameter there.
_, ExecutionUnqueueByQueryApi = bulk_views(
    replace(
        UNQUEUE,
        options=lambda request: {"state": unqueue_state(request, "newState")},
        parameters=[_parameter("newState")],
    )
)

ExecutionForceRunByIdsApi, ExecutionForceRunByQueryApi = bulk_views(
    BulkAction(
        name="force-run",
        operation="forceRunExecutions",
        summary="Run the created, queued and paused executions now, whatever their scheduleDate and concurrency "
        "limit (by ids, one listed that runs is sent to the executor again)",
        act=lambda execution_id, _: queue_actions.execution_force_run(execution_id=execution_id),
        applies_to=lambda _: Q(state__in=[State.CREATED, State.QUEUED, State.PAUSED]),
    )
)
