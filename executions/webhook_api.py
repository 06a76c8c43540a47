"""Kestra's webhook endpoint: `GET|POST|PUT /executions/webhook/{namespace}/{flowId}/{key}` (kestra-api.md §5).

Open to anyone: the key in the path is the credential (executions/webhooks.py checks it). The body is
read as bytes, never parsed by DRF, and refused past FLOWHUB_WEBHOOK_MAX_BODY_BYTES; a form's fields are
parsed too, and a multipart/form-data body's files are streamed into temporary upload files by Django's
parser, as those of any form are, for webhooks.py to store. Calls are limited per webhook key
(FLOWHUB_WEBHOOK_RATE_LIMIT).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub.api.serializers import CompactSerializer, LabelSerializer
from flowhub.api.throttles import WebhookThrottle
from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Invalid, TooLarge

from .models import Execution
from .serializers import StateSerializer
from .webhooks import WebhookAnswer, WebhookCall, webhook_answer, webhook_receive

IDEMPOTENCY_KEY_MAX = 255
MULTIPART = "multipart/form-data"
URL_ENCODED = "application/x-www-form-urlencoded"


class WebhookResponseSerializer(CompactSerializer):
    """Kestra's WebhookResponse: the execution the call started, without its task runs."""

    tenantId = serializers.SerializerMethodField()
    id = serializers.CharField()
    namespace = serializers.CharField()
    flowId = serializers.CharField(source="flow_id")
    flowRevision = serializers.IntegerField(source="flow_revision.revision")
    trigger = serializers.DictField(
        help_text="`{id, type, variables: {body, headers, parameters}}`; a form's `formFields`, a multipart one's "
        "`parts` (`[{name, filename, contentType, size, uri}]`) instead of `body`"
    )
    outputs = serializers.DictField()
    labels = LabelSerializer(many=True)
    state = StateSerializer(source="*")
    url = serializers.SerializerMethodField()

    def get_tenantId(self, execution: Execution) -> str:
        return "main"

    def get_url(self, execution: Execution) -> str:
        path = reverse("admin:executions_execution_change", args=[execution.id])
        return str(self.context["request"].build_absolute_uri(path))


class WebhookApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes: list[type] = []
    throttle_classes = [WebhookThrottle]  # per webhook key rather than per caller: callers are anonymous
    secret_url_kwargs = ("key",)  # the key is the credential: the request log masks it (flowhub.api.middleware)

    def handle(self, request: Request, namespace: str, flow_id: str, key: str, path: str | None) -> HttpResponse:
        call = WebhookCall(
            key=key,
            content_type=request.content_type or "",
            headers={name.lower(): [value] for name, value in request.headers.items()},
            parameters={name: request.query_params.getlist(name) for name in request.query_params},
            idempotency_key=_idempotency_key(request),
            path=path,
            **_body(request._request),
        )
        received = webhook_receive(namespace=namespace, flow_id=flow_id, call=call)
        return _response(request, webhook_answer(received=received))


def _body(request: HttpRequest) -> dict[str, Any]:
    """The call's `body`, `form_fields` and `uploads`, read no further than the limit: a larger body is refused
    without being held in memory.

    A multipart/form-data body is parsed by Django, bounded by the declared Content-Length, which is refused
    past the limit; one sent without any (chunked) is read as empty, as Django reads every such form.
    """
    limit = settings.FLOWHUB_WEBHOOK_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    too_large = TooLarge(f"a webhook's body may be {limit} bytes at most")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    if request.content_type == MULTIPART:
        # Parsed whatever the method (Django's request.FILES is a POST's only); kept on the request as Django keeps
        # a POST's, so that the end of the request closes the uploads and removes their temporary files.
        fields, request._files = request.parse_file_upload(request.META, request)
        uploads = [(name, upload) for name, files in request._files.lists() for upload in files]
        return {"form_fields": dict(fields.lists()), "uploads": uploads}
    body = request.read(limit + 1)
    if len(body) > limit:
        raise too_large
    if request.content_type == URL_ENCODED:
        return {"body": body, "form_fields": dict(QueryDict(body, encoding=request.encoding).lists())}
    return {"body": body}


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        detail = f"at most {IDEMPOTENCY_KEY_MAX} characters"
        raise Invalid("invalid Idempotency-Key header", [ErrorDetail("Idempotency-Key", detail)])
    return key


def _response(request: Request, answer: WebhookAnswer) -> HttpResponse:
    if answer.execution is not None:
        body = WebhookResponseSerializer(answer.execution, context={"request": request}).data
        return Response(body, status=answer.status)
    if answer.outputs is None:
        return HttpResponse(status=answer.status)
    # As Kestra: the outputs map in JSON, whatever `responseContentType` the flow asks to send it as.
    content_type = answer.content_type or "application/json"
    return HttpResponse(json.dumps(answer.outputs), status=answer.status, content_type=content_type)


WEBHOOK_RESPONSES = {
    200: OpenApiResponse(
        WebhookResponseSerializer,
        description="The execution started; with `wait`, as it ended (or, with `returnOutputs`, its outputs map)",
    ),
    202: OpenApiResponse(WebhookResponseSerializer, description="`wait`: it had not ended in time; as it is now"),
    204: OpenApiResponse(description="The trigger's conditions did not hold: nothing started"),
    404: OpenApiResponse(description="No such flow, or no Webhook trigger with this key"),
    409: OpenApiResponse(description="The flow or the trigger is disabled"),
    413: OpenApiResponse(description="The body is larger than the limit"),
    422: OpenApiResponse(description="The trigger's inputs or labels failed, or the flow refused them"),
}
WEBHOOK_PARAMETERS = [
    OpenApiParameter(
        "Idempotency-Key",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="A retried call with the same key answers the execution the first one started",
    )
]


def _operation(method: str, with_path: bool) -> Any:
    suffix = "WithPath" if with_path else ""
    return extend_schema(
        operation_id=f"triggerExecutionByWebhook{method.capitalize()}{suffix}",
        summary=f"Start an execution through a flow's Webhook trigger ({method.upper()})",
        description="No credentials but the key. The flow sees the body, headers and query parameters as "
        "`trigger.body`, `trigger.headers` and `trigger.parameters`; a form's fields as `trigger.formFields`, "
        "and a multipart/form-data body's files, stored, as `trigger.parts` (no `trigger.body` then)."
        + (" Kestra's core Webhook trigger takes no path after its key: 404." if with_path else ""),
        request={
            "application/json": OpenApiTypes.ANY,
            "text/plain": OpenApiTypes.STR,
            MULTIPART: OpenApiTypes.OBJECT,
            URL_ENCODED: OpenApiTypes.OBJECT,
        }
        if method != "get"
        else None,
        parameters=WEBHOOK_PARAMETERS,
        responses=WEBHOOK_RESPONSES,
        tags=["Executions"],
    )


class WebhookKeyApi(WebhookApi):
    @_operation("get", with_path=False)
    def get(self, request: Request, namespace: str, flow_id: str, key: str, **_: Any) -> HttpResponse:
        return self.handle(request, namespace, flow_id, key, None)

    @_operation("post", with_path=False)
    def post(self, request: Request, namespace: str, flow_id: str, key: str, **_: Any) -> HttpResponse:
        return self.handle(request, namespace, flow_id, key, None)

    @_operation("put", with_path=False)
    def put(self, request: Request, namespace: str, flow_id: str, key: str, **_: Any) -> HttpResponse:
        return self.handle(request, namespace, flow_id, key, None)


class WebhookKeyPathApi(WebhookApi):
    @_operation("get", with_path=True)
    def get(self, request: Request, namespace: str, flow_id: str, key: str, path: str, **_: Any) -> HttpResponse:
        return self.handle(request, namespace, flow_id, key, path)

    @_operation("post", with_path=True)
    def post(self, request: Request, namespace: str, flow_id: str, key: str, path: str, **_: Any) -> HttpResponse:
        return self.handle(request, namespace, flow_id, key, path)

    @_operation("put", with_path=True)
    def put(self, request: Request, namespace: str, flow_id: str, key: str, path: str, **_: Any) -> HttpResponse:
        return self.handle(request, namespace, flow_id, key, path)
