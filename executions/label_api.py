"""Setting the labels of an ended execution (kestra-api.md §4.4): `POST /executions/{id}/labels` (1.x) and
`/actions/labels` (2.0), both answering the execution."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from flowhub.api.parsers import BoundedJSONParser
from flowhub.api.serializers import LabelSerializer

from . import actions, selectors
from .serializers import ExecutionSerializer

MAX_LABELS = 100


class ExecutionLabelsApi(APIView):
    required_role = Role.EXECUTOR
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="setLabelsOnTerminatedExecution",
        summary="Replace the labels of an ended execution, its system labels kept (409 while it runs)",
        request=LabelSerializer(many=True),
        responses={200: ExecutionSerializer, 404: None, 409: None},
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        body = serializers.ListField(child=LabelSerializer(), max_length=MAX_LABELS).run_validation(request.data)
        labels = [(label["key"], label["value"]) for label in body]
        actions.execution_labels_replace(execution_id=execution_id, labels=labels)
        return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)


@extend_schema_view(post=extend_schema(operation_id="setLabelsOnTerminatedExecutionAction"))
class ExecutionLabelsActionApi(ExecutionLabelsApi):
    """Kestra 2.0: `POST /executions/{id}/actions/labels`."""
