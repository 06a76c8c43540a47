"""Kestra's expression debugger: `POST /executions/{id}/eval/{taskRunId}` (1.x and 2.0) and 2.0's
`POST /executions/{id}/eval`, the body a Pebble expression as text/plain (or bytes, from generated clients)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import request_access
from flowhub.api.parsers import EXPRESSION_PARSERS, MAX_EXPRESSION_BYTES

from .evaluation import expression_evaluate

EVALUATION = inline_serializer(
    "ExpressionEvaluation",
    {
        "result": serializers.CharField(required=False, help_text="The rendered expression, secrets masked."),
        "error": serializers.CharField(required=False, help_text="Why it did not render."),
        "stackTrace": serializers.CharField(required=False, help_text="The error and its causes, one a line."),
    },
)
EXPRESSION_BODY = {"text/plain": OpenApiTypes.STR, "application/octet-stream": OpenApiTypes.BINARY}
RESPONSES = {
    200: EVALUATION,
    403: OpenApiResponse(description="The caller is not an editor of the execution's namespace"),
    404: OpenApiResponse(description="Unknown execution or task run"),
    413: OpenApiResponse(description=f"The expression is larger than {MAX_EXPRESSION_BYTES} bytes"),
    415: OpenApiResponse(description="The body is neither text/plain nor application/octet-stream"),
    422: OpenApiResponse(description="The body is empty"),
}


def _answer(request: Request, execution_id: str, task_run_id: str | None) -> Response:
    evaluation = expression_evaluate(
        execution_id=execution_id,
        task_run_id=task_run_id,
        expression=request.data if isinstance(request.data, str) else "",  # no body: DRF's empty dict
        caller=request_access(request),
    )
    shown = {"result": evaluation.result, "error": evaluation.error, "stackTrace": evaluation.stack_trace}
    return Response({key: value for key, value in shown.items() if value is not None})


class ExpressionEvalApi(APIView):
    """Kestra 2.0: the execution's context, without a task run's."""

    required_role = Role.EDITOR  # the expression is the caller's own template: docs/access.md says why
    parser_classes = EXPRESSION_PARSERS

    @extend_schema(
        operation_id="evalExpression",
        summary="Render a Pebble expression in the execution's context, as it stands (editors only)",
        request=EXPRESSION_BODY,
        responses=RESPONSES,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        return _answer(request, execution_id, None)


class TaskRunExpressionEvalApi(APIView):
    """Kestra 1.x and 2.0: what the task run's task sees (`task`, `taskrun`, `parent`) too."""

    required_role = Role.EDITOR
    parser_classes = EXPRESSION_PARSERS

    @extend_schema(
        operation_id="evalTaskRunExpression",
        summary="Render a Pebble expression as the task run's task would, as the execution stands (editors only)",
        request=EXPRESSION_BODY,
        responses=RESPONSES,
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, task_run_id: str, **_: Any) -> Response:
        return _answer(request, execution_id, task_run_id)
