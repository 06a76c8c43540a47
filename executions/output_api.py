"""Outputs (kestra-api.md §4.7): a task run's at the Kestra seed's path, and Kestra 2.0's `/outputs/...` paths.
They are inline in the execution JSON too, as in Kestra 1.x."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors


class TaskRunOutputsApi(APIView):
    """`GET /executions/{id}/taskruns/{taskRunId}/outputs`, the path the Kestra seed calls."""

    @extend_schema(
        operation_id="getTaskRunOutputs",
        summary="The outputs of one task run, by output name (404 for an unknown execution or task run)",
        responses={200: OpenApiTypes.OBJECT, 404: None},
        tags=["Outputs"],
    )
    def get(self, request: Request, execution_id: str, task_run_id: str, **_: Any) -> Response:
        return Response(selectors.task_run_get(execution_id=execution_id, task_run_id=task_run_id).outputs)


@extend_schema_view(get=extend_schema(operation_id="taskRunOutputs"))
class OutputsTaskRunApi(TaskRunOutputsApi):
    """Kestra 2.0's `GET /outputs/tasks/{executionId}/{taskRunId}`."""


class OutputsExecutionApi(APIView):
    @extend_schema(
        operation_id="executionOutputs",
        summary="The flow outputs of an execution, by output name (empty until it has ended well)",
        responses={200: OpenApiTypes.OBJECT, 404: None},
        tags=["Outputs"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> Response:
        return Response(selectors.execution_get(execution_id=execution_id).outputs)


class OutputsTasksApi(APIView):
    @extend_schema(
        operation_id="taskOutputsInformation",
        summary="The task runs of an execution that have outputs (read each at /outputs/tasks/{id}/{taskRunId})",
        responses={
            200: inline_serializer(
                "TaskOutputsInformation",
                {
                    "taskId": serializers.CharField(),
                    "taskRunId": serializers.CharField(),
                    "value": serializers.CharField(required=False, help_text="The loop value it ran for."),
                    "iteration": serializers.IntegerField(required=False),
                    "inline": serializers.BooleanField(help_text="Always true: flowhub keeps outputs in the row."),
                },
                many=True,
            ),
            404: None,
        },
        tags=["Outputs"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> Response:
        execution = selectors.execution_get(execution_id=execution_id)
        items = [
            {"taskId": run.task_id, "taskRunId": run.id, "value": run.value, "iteration": run.iteration, "inline": True}
            for run in execution.task_runs.all()
            if run.outputs
        ]
        return Response([{key: value for key, value in item.items() if value is not None} for item in items])
