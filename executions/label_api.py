"""Setting the labels of ended executions (kestra-api.md §4.4): `POST /executions/{id}/labels` (1.x) and
`/actions/labels` (2.0), both answering the execution; `…/labels/by-ids` and `/by-query`, answering `{count}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from flowhub.api.parsers import BoundedJSONParser
from flowhub.api.serializers import LabelSerializer
from flowhub.engine.states import TERMINAL

from . import actions, selectors
from .bulk import MAX_BULK
from .bulk_api import COUNT, FILTERS_DESCRIPTION, act_on_listed, act_on_matching
from .serializers import ExecutionSerializer
from .services import check_user_labels

MAX_LABELS = 100


def _labels_field() -> serializers.ListField:
    return serializers.ListField(child=LabelSerializer(), max_length=MAX_LABELS)


def _pairs(labels: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(label["key"], label["value"]) for label in labels]


def _body_labels(data: Any) -> list[tuple[str, str]]:
    """A body's labels, `[{"key", "value"}]`; 400 naming the one malformed."""
    return _pairs(_labels_field().run_validation(data))


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
        actions.execution_labels_replace(execution_id=execution_id, labels=_body_labels(request.data))
        return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)


@extend_schema_view(post=extend_schema(operation_id="setLabelsOnTerminatedExecutionAction"))
class ExecutionLabelsActionApi(ExecutionLabelsApi):
    """Kestra 2.0: `POST /executions/{id}/actions/labels`."""


def _replacing(labels: list[tuple[str, str]]) -> Callable[[str], object]:
    """What sets `labels` on one execution; checked first, so that a system label a user may not set is the whole
    request's 422, not each execution left out of the count."""
    check_user_labels(labels)
    return lambda execution_id: actions.execution_labels_replace(execution_id=execution_id, labels=labels)


class ExecutionLabelsByIdsApi(APIView):
    """Kestra's body here holds the ids and the labels, not the ids alone as on the other bulk routes."""

    scopes_itself = True
    parser_classes = [BoundedJSONParser]

    class SetLabelsByIdsSerializer(serializers.Serializer):
        executionsId = serializers.ListField(child=serializers.CharField(max_length=22), max_length=MAX_BULK)
        executionLabels = _labels_field()

    @extend_schema(
        operation_id="setLabelsOnTerminatedExecutionsByIds",
        summary="Replace the labels of the ended executions listed, their system labels kept; the others are "
        "left out of the count",
        request=SetLabelsByIdsSerializer,
        responses=COUNT,
        tags=["Executions"],
    )
    def post(self, request: Request, **_: Any) -> Response:
        body = self.SetLabelsByIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        labels = _pairs(body.validated_data["executionLabels"])
        return act_on_listed(request, Role.EXECUTOR, _replacing(labels), ids=body.validated_data["executionsId"])


class ExecutionLabelsByQueryApi(APIView):
    scopes_itself = True
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="setLabelsOnTerminatedExecutionsByQuery",
        summary=f"Replace the labels of the ended executions the filters select, their system labels kept: the "
        f"oldest {MAX_BULK} at most per request",
        description=FILTERS_DESCRIPTION,
        request=LabelSerializer(many=True),
        responses=COUNT,
        tags=["Executions"],
    )
    def post(self, request: Request, **_: Any) -> Response:
        labels = _body_labels(request.data)
        return act_on_matching(request, Role.EXECUTOR, Q(state__in=TERMINAL), _replacing(labels))
