"""Flow endpoints at Kestra's paths (kestra-api.md §3)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import request_access, saver_of
from flowhub.api.filters import parse_filters
from flowhub.api.pagination import MAX_PAGE_SIZE, page_request, paged_response
from flowhub.api.parsers import YAML_PARSERS
from flowhub.api.problems import Problem, ProblemErrorSerializer, error_json
from flowhub.api.serializers import CompactSerializer, FlowRefSerializer, LabelSerializer
from flowhub.engine.errors import ErrorDetail

from . import selectors, services
from .flows import parsed_revision
from .models import Flow, FlowRevision
from .validation import FlowValidation, flows_validate

# Kestra's media type first; raw bytes too, for generators (openapi-python-client) that know no YAML type.
YAML_BODY = {"application/x-yaml": OpenApiTypes.STR, "application/octet-stream": OpenApiTypes.BINARY}


class FlowOutputSerializer(CompactSerializer):
    """Kestra's Flow; with `source` it is FlowWithSource."""

    id = serializers.CharField()
    namespace = serializers.CharField()
    revision = serializers.IntegerField()
    description = serializers.CharField(required=False)
    labels = LabelSerializer(many=True, required=False)
    inputs = serializers.ListField(child=serializers.DictField(), required=False)
    outputs = serializers.ListField(child=serializers.DictField(), required=False)
    variables = serializers.DictField(required=False)
    tasks = serializers.ListField(child=serializers.DictField())
    errors = serializers.ListField(child=serializers.DictField(), required=False)
    afterExecution = serializers.ListField(child=serializers.DictField(), required=False)
    triggers = serializers.ListField(child=serializers.DictField(), required=False)
    concurrency = serializers.DictField(required=False)
    retry = serializers.DictField(required=False)
    pluginDefaults = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Also what a flow calls by the old name taskDefaults."
    )
    disabled = serializers.BooleanField()
    deleted = serializers.BooleanField()
    updated = serializers.DateTimeField()
    source = serializers.CharField(required=False, help_text="The YAML exactly as saved.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # `finally` is a Python keyword, so it cannot be declared as a class attribute.
        fields["finally"] = serializers.ListField(child=serializers.DictField(), required=False)
        return fields


def flow_json(flow: Flow, revision: FlowRevision, *, with_source: bool) -> dict[str, Any]:
    parsed = parsed_revision(revision)
    document = parsed.document
    wire = {
        "id": parsed.id,
        "namespace": parsed.namespace,
        "revision": revision.revision,
        "description": parsed.description,
        "labels": [{"key": key, "value": value} for key, value in parsed.labels.items()] or None,
        "inputs": document.get("inputs"),
        "outputs": document.get("outputs"),
        "variables": document.get("variables"),
        "tasks": document["tasks"],
        "errors": document.get("errors"),
        "finally": document.get("finally"),
        "afterExecution": document.get("afterExecution"),
        "triggers": document.get("triggers"),
        "concurrency": document.get("concurrency"),
        "retry": document.get("retry"),
        "pluginDefaults": document.get("pluginDefaults", document.get("taskDefaults")),
        "disabled": parsed.disabled,
        "deleted": flow.deleted,
        "updated": revision.created_at,
        "source": revision.source if with_source else None,
    }
    return FlowOutputSerializer(wire).data


class FlowCreateApi(APIView):
    parser_classes = YAML_PARSERS
    scopes_itself = True  # the namespace is in the body

    @extend_schema(
        operation_id="createFlow",
        summary="Create a flow from its YAML source",
        request=YAML_BODY,
        responses=FlowOutputSerializer,
        tags=["Flows"],
    )
    def post(self, request: Request, **_: Any) -> Response:
        flow = services.flow_create(
            source=request.data or "", access=request_access(request), saved_by=saver_of(request)
        )
        return Response(flow_json(flow, flow.current, with_source=True))


class FlowDetailApi(APIView):
    parser_classes = YAML_PARSERS

    class FilterSerializer(serializers.Serializer):
        source = serializers.BooleanField(default=False)
        revision = serializers.IntegerField(min_value=1, required=False)

    @extend_schema(
        operation_id="getFlow",
        summary="Get a flow",
        parameters=[FilterSerializer],
        responses=FlowOutputSerializer,
        tags=["Flows"],
    )
    def get(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        flow = selectors.flow_get(namespace=namespace, flow_id=flow_id)
        revision = selectors.flow_revision_get(flow=flow, revision=query.validated_data.get("revision"))
        return Response(flow_json(flow, revision, with_source=query.validated_data["source"]))

    @extend_schema(
        operation_id="updateFlow",
        summary="Update a flow with a new YAML source (a new revision unless unchanged)",
        request=YAML_BODY,
        responses=FlowOutputSerializer,
        tags=["Flows"],
    )
    def put(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        flow = services.flow_update(
            namespace=namespace, flow_id=flow_id, source=request.data or "", saved_by=saver_of(request)
        )
        return Response(flow_json(flow, flow.current, with_source=True))

    @extend_schema(
        operation_id="deleteFlow", summary="Delete a flow (its executions stay)", responses={204: None}, tags=["Flows"]
    )
    def delete(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        services.flow_delete(namespace=namespace, flow_id=flow_id)
        return Response(status=204)


class FlowListByNamespaceApi(APIView):
    @extend_schema(
        operation_id="listFlowsByNamespace",
        summary="List the flows of exactly one namespace",
        parameters=[OpenApiParameter("namespace", str, OpenApiParameter.PATH)],
        responses=FlowOutputSerializer(many=True),
        tags=["Flows"],
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        flows = selectors.flow_list(namespace=namespace)
        return Response([flow_json(flow, flow.current, with_source=False) for flow in flows])


FLOW_SORTS = {"id": "flow_id", "namespace": "namespace_id", "updated": "updated_at", "created": "created_at"}
FLOW_FILTERS = {
    "q": frozenset({"EQUALS", "CONTAINS"}),
    "namespace": frozenset({"EQUALS", "PREFIX", "STARTS_WITH"}),
    "labels": frozenset({"EQUALS"}),
}


class FlowPageSerializer(serializers.Serializer):
    results = FlowOutputSerializer(many=True)
    total = serializers.IntegerField()


class FlowSearchApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="searchFlows",
        summary="Search flows: filters[q|namespace|labels][OP]=…, or legacy q, namespace (prefix), labels=k:v",
        parameters=[
            OpenApiParameter("page", int, description="From 1"),
            OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
            OpenApiParameter("sort", str, many=True, description="field:asc|desc; fields: " + ", ".join(FLOW_SORTS)),
            OpenApiParameter("q", str),
            OpenApiParameter("namespace", str, description="This namespace and those below it"),
            OpenApiParameter("labels", str, many=True, description="key:value"),
        ],
        responses=FlowPageSerializer,
        tags=["Flows"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        params = request.query_params
        paging = page_request(params, FLOW_SORTS, default=("namespace_id", "flow_id"))
        criteria: dict[str, Any] = {
            "text": params.get("q"),
            "namespace_prefix": params.get("namespace"),
            "labels": [_label(value) for value in params.getlist("labels")],
        }
        for condition in parse_filters(params, FLOW_FILTERS):
            if condition.field == "q":
                criteria["text"] = condition.value
            elif condition.field == "namespace":
                key = "namespace" if condition.operation == "EQUALS" else "namespace_prefix"
                criteria[key] = condition.value
            elif condition.key is not None:
                criteria["labels"].append((condition.key, condition.value))
        flows = selectors.flow_search(access=request_access(request), **criteria)
        return paged_response(
            request, flows, paging, lambda rows: [flow_json(flow, flow.current, with_source=False) for flow in rows]
        )


def _label(value: str) -> tuple[str, str]:
    key, separator, label_value = value.partition(":")
    if not separator or not key:
        raise Problem(
            400, "invalid-query-parameter", "Invalid query parameter", "invalid labels",
            [ErrorDetail("labels", f"'{value}' is not of the form key:value")],
        )  # fmt: skip
    return key, label_value


class FlowRevisionListApi(APIView):
    @extend_schema(
        operation_id="listFlowRevisions",
        summary="Every revision of a flow, oldest first, with its source",
        responses=FlowOutputSerializer(many=True),
        tags=["Flows"],
    )
    def get(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        revisions = selectors.flow_revisions(namespace=namespace, flow_id=flow_id)
        return Response([flow_json(revision.flow, revision, with_source=True) for revision in revisions])


class FlowValidationSerializer(CompactSerializer):
    index = serializers.IntegerField()
    namespace = serializers.CharField(required=False)
    flow = serializers.CharField(required=False)
    constraints = serializers.CharField(required=False, help_text="Every violation, in one line; absent if valid.")
    outdated = serializers.BooleanField(default=False)
    deprecationPaths = serializers.ListField(child=serializers.CharField(), default=list)
    warnings = serializers.ListField(child=serializers.CharField(), default=list)
    infos = serializers.ListField(child=serializers.CharField(), default=list)
    errors = serializers.SerializerMethodField(help_text="flowhub: each violation with its path and line")

    @extend_schema_field(ProblemErrorSerializer(many=True))
    def get_errors(self, result: FlowValidation) -> list[dict[str, Any]]:
        return [error_json(error) for error in result.errors]


class FlowValidateApi(APIView):
    parser_classes = YAML_PARSERS
    scopes_itself = True  # reads nothing stored

    @extend_schema(
        operation_id="validateFlows",
        summary="Validate one or more flows (YAML documents separated by ---) without saving them",
        request=YAML_BODY,
        responses=FlowValidationSerializer(many=True),
        tags=["Flows"],
    )
    def post(self, request: Request, **_: Any) -> Response:
        results = flows_validate(source=request.data or "")
        return Response(FlowValidationSerializer(results, many=True).data)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


def _toggle_view(disabled: bool, operation_id: str) -> type[APIView]:
    class FlowToggleApi(APIView):
        scopes_itself = True  # the flows are in the body

        @extend_schema(
            operation_id=operation_id,
            summary=("Disable" if disabled else "Enable") + " flows by id (a new revision each)",
            request=FlowRefSerializer(many=True),
            responses=CountSerializer,
            tags=["Flows"],
        )
        def post(self, request: Request, **_: Any) -> Response:
            refs = FlowRefSerializer(data=request.data, many=True)
            refs.is_valid(raise_exception=True)
            pairs = [(ref["namespace"], ref["id"]) for ref in refs.validated_data]
            changed = services.flows_set_disabled(
                refs=pairs, disabled=disabled, access=request_access(request), saved_by=saver_of(request)
            )
            return Response({"count": changed})

    FlowToggleApi.__name__ = FlowToggleApi.__qualname__ = f"Flow{'Disable' if disabled else 'Enable'}ByIdsApi"
    return FlowToggleApi


FlowEnableByIdsApi = _toggle_view(disabled=False, operation_id="enableFlowsByIds")
FlowDisableByIdsApi = _toggle_view(disabled=True, operation_id="disableFlowsByIds")


class FlowDuplicateApi(APIView):
    required_role = Role.VIEWER  # of the original; the copy's namespace needs an editor

    class InputSerializer(serializers.Serializer):
        namespace = serializers.CharField(required=False, help_text="Default: the original's")
        id = serializers.CharField(required=False, help_text="Default: the original's")

    @extend_schema(
        operation_id="duplicateFlow",
        summary="Copy a flow under a new id and/or namespace; its YAML is rewritten to match",
        request=InputSerializer,
        responses=FlowOutputSerializer,
        tags=["Flows"],
    )
    def post(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        flow = services.flow_duplicate(
            namespace=namespace,
            flow_id=flow_id,
            new_namespace=body.validated_data.get("namespace", namespace),
            new_id=body.validated_data.get("id", flow_id),
            access=request_access(request),
            saved_by=saver_of(request),
        )
        return Response(flow_json(flow, flow.current, with_source=True))


class FlowDistinctNamespacesApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="listDistinctNamespaces",
        summary="Namespaces that hold at least one flow",
        parameters=[OpenApiParameter("q", str)],
        responses={(200, "application/json"): {"type": "array", "items": {"type": "string"}}},
        tags=["Flows"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        return Response(
            selectors.namespaces_with_flows(access=request_access(request), text=request.query_params.get("q"))
        )
