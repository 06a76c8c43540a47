"""Starting executions (kestra-api.md §4.1): inputs as a form or a JSON body, labels, `wait`, `scheduleDate`,
and an `Idempotency-Key` header that makes a retried trigger answer the execution it already created."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from flowhub.api.parsers import BoundedJSONParser
from flowhub.api.serializers import LabelParameterField
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.inputs.temporal import to_datetime
from flowhub.exceptions import Invalid
from namespaces.models import Flow
from namespaces.selectors import flow_get

from . import selectors, services
from .api import FORM_REQUEST, form_inputs, uploads_by_input
from .serializers import ExecutionCreatedSerializer, ExecutionSerializer
from .waiting import execution_wait

INPUTS_REQUEST = {
    **FORM_REQUEST,
    "application/json": inline_serializer(
        "ExecutionJsonInputs",
        {"inputs": serializers.DictField(required=False, help_text="The inputs by id; or send them as the body.")},
    ),
}
"""A form (each field an input, each file part a FILE input), or JSON: `{"inputs": {...}}` or the inputs as is."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 255


class RevisionQuerySerializer(serializers.Serializer):
    revision = serializers.IntegerField(min_value=1, required=False, help_text="The flow revision; the latest if none")


class TriggerQuerySerializer(RevisionQuerySerializer):
    labels = serializers.ListField(
        child=LabelParameterField(), required=False, default=list, help_text="key:value, repeatable"
    )
    wait = serializers.BooleanField(default=False, help_text="Answer once the execution has ended (or waitTimeout)")
    waitTimeout = serializers.FloatField(
        min_value=0.1,
        required=False,
        help_text="Seconds `wait` blocks at most: FLOWHUB_MAX_WAIT_SECONDS (300) by default, and no more than it",
    )
    scheduleDate = serializers.CharField(
        required=False, help_text="ISO-8601 date-time with a zone: the execution stays CREATED until then"
    )

    def validate_waitTimeout(self, value: float) -> float:
        if value > settings.FLOWHUB_MAX_WAIT_SECONDS:
            raise serializers.ValidationError(f"must be at most {settings.FLOWHUB_MAX_WAIT_SECONDS} seconds")
        return value

    def validate_scheduleDate(self, value: str) -> Any:
        try:
            return to_datetime(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


def trigger_query(request: Request) -> dict[str, Any]:
    # A dict, not the QueryDict: DRF reads a boolean missing from form data as false, not its default.
    query = TriggerQuerySerializer(
        data={**request.query_params.dict(), "labels": request.query_params.getlist("labels")}
    )
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def idempotency_key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        detail = f"must be at most {MAX_IDEMPOTENCY_KEY} characters"
        raise Invalid(f"the {IDEMPOTENCY_HEADER} header is too long", [ErrorDetail(IDEMPOTENCY_HEADER, detail)])
    return key


def supplied_inputs(request: Request, flow: Flow, revision: int | None) -> tuple[Any, dict[str, UploadedFile]]:
    """The inputs and FILE uploads of the request, whether a JSON body (no uploads) or a form."""
    if request.content_type.startswith("application/json"):
        return services.json_inputs(flow=flow, revision=revision, body=request.data), {}
    return form_inputs(request), uploads_by_input(request.FILES)


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    location=OpenApiParameter.HEADER,
    description="A retried request with the same key, for the same flow, answers the execution the first created",
)


class ExecutionCreateApi(APIView):
    required_role = Role.EXECUTOR
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    @extend_schema(
        operation_id="createExecution",
        summary="Start an execution of a flow; inputs are the form's fields or the JSON body",
        parameters=[TriggerQuerySerializer, IDEMPOTENCY_PARAMETER],
        request=INPUTS_REQUEST,
        responses={
            200: ExecutionCreatedSerializer,
            202: OpenApiResponse(ExecutionCreatedSerializer, description="wait=true, and it had not ended in time"),
        },
        tags=["Executions"],
    )
    def post(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        query = trigger_query(request)
        flow = flow_get(namespace=namespace, flow_id=flow_id)
        inputs, files = supplied_inputs(request, flow, query.get("revision"))
        execution = services.execution_create(
            flow=flow,
            inputs=inputs,
            files=files,
            labels=query["labels"],
            revision=query.get("revision"),
            schedule_date=query.get("scheduleDate"),
            idempotency_key=idempotency_key(request),
        )
        ended = not query["wait"] or execution_wait(
            execution_id=execution.id, timeout=query.get("waitTimeout", settings.FLOWHUB_MAX_WAIT_SECONDS)
        )
        execution = selectors.execution_get(execution_id=execution.id)
        body = ExecutionSerializer(execution).data
        body["url"] = request.build_absolute_uri(reverse("admin:executions_execution_change", args=[execution.id]))
        return Response(body, status=200 if ended else 202)


@extend_schema_view(post=extend_schema(operation_id="createExecutionLegacyPath", deprecated=True))
class ExecutionTriggerLegacyApi(ExecutionCreateApi):
    """Kestra 0.x's `POST /executions/trigger/{namespace}/{id}`, kept for old scripts."""


class ExecutionInputsValidateApi(APIView):
    required_role = Role.EXECUTOR
    """Kestra's `POST /executions/{namespace}/{id}/validate`: what a trigger with these inputs would start."""

    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    @extend_schema(
        operation_id="validateNewExecutionInputs",
        summary="Check inputs against a flow, creating nothing (422 naming each bad input)",
        parameters=[RevisionQuerySerializer],
        request=INPUTS_REQUEST,
        responses=inline_serializer(
            "ExecutionInputsValidation",
            {
                "id": serializers.CharField(help_text="The flow's id."),
                "namespace": serializers.CharField(),
                "inputs": serializers.ListField(
                    child=inline_serializer(
                        "ExecutionInputValue",
                        {
                            "input": serializers.DictField(help_text="The input's declaration."),
                            "value": serializers.JSONField(required=False, help_text="None for a FILE input."),
                            "errors": serializers.ListField(child=serializers.DictField()),
                        },
                    )
                ),
                "checks": serializers.ListField(child=serializers.DictField()),
            },
        ),
        tags=["Executions"],
    )
    def post(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        query = RevisionQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        revision = query.validated_data.get("revision")
        flow = flow_get(namespace=namespace, flow_id=flow_id)
        inputs, files = supplied_inputs(request, flow, revision)
        given = services.execution_inputs_validate(flow=flow, inputs=inputs, files=files, revision=revision)
        values = [
            {"input": spec.model_dump(mode="json", exclude_none=True), "errors": []}
            | ({} if value is None else {"value": value})
            for spec, value in given
        ]
        return Response({"id": flow.flow_id, "namespace": flow.namespace_id, "inputs": values, "checks": []})
