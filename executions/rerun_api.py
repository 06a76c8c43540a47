"""Restart, replay and skip endpoints (kestra-api.md §4.4): Kestra 1.x and 2.0 answer both paths alike, with
the execution; skipping a task run is flowhub's own."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from flowhub.engine.states import TERMINAL, State

from . import actions, reruns, selectors
from .api import uploads_by_input
from .bulk_api import BulkAction, bulk_views
from .serializers import ExecutionSerializer


def _execution(execution_id: str) -> Response:
    return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)


class ExecutionRestartApi(APIView):
    required_role = Role.EXECUTOR
    """Kestra 1.x: `POST /executions/{id}/restart`."""

    class FilterSerializer(serializers.Serializer):
        revision = serializers.IntegerField(min_value=1, required=False)

    @extend_schema(
        operation_id="restartExecution",
        summary="Restart an ended execution: its failed and killed task runs run again (409 unless it has ended)",
        parameters=[FilterSerializer],
        request=None,
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        restarted = reruns.execution_restart(execution_id=execution_id, revision=query.validated_data.get("revision"))
        return _execution(restarted.id)


@extend_schema_view(post=extend_schema(operation_id="restartExecutionAction"))
class ExecutionRestartActionApi(ExecutionRestartApi):
    """Kestra 2.0: `POST /executions/{id}/actions/restart`."""


class ExecutionReplayApi(APIView):
    required_role = Role.EXECUTOR
    """Kestra 1.x: `POST /executions/{id}/replay`."""

    class FilterSerializer(serializers.Serializer):
        taskRunId = serializers.CharField(max_length=22, required=False)
        revision = serializers.IntegerField(min_value=1, required=False)

    @extend_schema(
        operation_id="replayExecution",
        summary="Replay an execution as a new one, from the start or from a task run (the runs before it reused)",
        parameters=[FilterSerializer],
        request=None,
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        replay = reruns.execution_replay(
            execution_id=execution_id,
            task_run_id=query.validated_data.get("taskRunId"),
            revision=query.validated_data.get("revision"),
        )
        return _execution(replay.id)


@extend_schema_view(post=extend_schema(operation_id="replayExecutionAction"))
class ExecutionReplayActionApi(ExecutionReplayApi):
    """Kestra 2.0: `POST /executions/{id}/actions/replay`."""


class ExecutionReplayWithInputsApi(APIView):
    required_role = Role.EXECUTOR
    """Kestra 1.x: `POST /executions/{id}/replay-with-inputs`, the inputs as multipart form fields and files."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="replayExecutionWithInputs",
        summary="Replay an execution as a new one with other inputs, validated as a new execution's are",
        parameters=[ExecutionReplayApi.FilterSerializer],
        request={"multipart/form-data": OpenApiTypes.OBJECT},
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        query = ExecutionReplayApi.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        replay = reruns.execution_replay(
            execution_id=execution_id,
            task_run_id=query.validated_data.get("taskRunId"),
            revision=query.validated_data.get("revision"),
            inputs={name: request.data.get(name) for name in request.data if name not in request.FILES},
            files=uploads_by_input(request.FILES),
        )
        return _execution(replay.id)


@extend_schema_view(post=extend_schema(operation_id="replayExecutionWithInputsAction"))
class ExecutionReplayWithInputsActionApi(ExecutionReplayWithInputsApi):
    """Kestra 2.0: `POST /executions/{id}/actions/replay-with-inputs`."""


class TaskRunSkipApi(APIView):
    required_role = Role.EXECUTOR

    @extend_schema(
        operation_id="skipTaskRun",
        summary="Skip a created, retrying or running task run: it ends SKIPPED and the flow goes on",
        request=None,
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, task_run_id: str, **_: Any) -> Response:
        actions.task_run_skip(execution_id=execution_id, task_run_id=task_run_id)
        return _execution(execution_id)


ExecutionRestartByIdsApi, ExecutionRestartByQueryApi = bulk_views(
    BulkAction(
        name="restart",
        operation="restartExecutions",
        summary="Restart the ended executions that have failed or killed task runs",
        act=lambda execution_id, _: reruns.execution_restart(execution_id=execution_id),
        applies_to=lambda _: Q(state__in=TERMINAL) & ~Q(state=State.SUCCESS),
    )
)


class ReplayOptionsSerializer(serializers.Serializer):
    latestRevision = serializers.BooleanField(
        default=False, help_text="Replay each on its flow's current revision, not on the one it ran"
    )


def _replay_options(request: Request) -> dict[str, Any]:
    # A dict, not the QueryDict: DRF reads a boolean missing from form data as false, not its default.
    query = ReplayOptionsSerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _replay(execution_id: str, options: dict[str, Any]) -> None:
    latest = options["latestRevision"]
    revision = selectors.execution_flow_current_revision(execution_id=execution_id) if latest else None
    reruns.execution_replay(execution_id=execution_id, revision=revision)


ExecutionReplayByIdsApi, ExecutionReplayByQueryApi = bulk_views(
    BulkAction(
        name="replay",
        operation="replayExecutions",
        summary="Replay the ended executions from the start, each as a new execution",
        act=_replay,
        applies_to=lambda _: Q(state__in=TERMINAL),
        options=_replay_options,
        parameters=[ReplayOptionsSerializer],
    )
)
