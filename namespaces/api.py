"""Flow endpoints at Kestra's paths (kestra-api.md §3)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub.api.parsers import YAML_PARSERS
from flowhub.api.serializers import CompactSerializer, LabelSerializer

from . import selectors, services
from .flows import parsed_revision
from .models import Flow, FlowRevision

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
    disabled = serializers.BooleanField()
    deleted = serializers.BooleanField()
    updated = serializers.DateTimeField()
    source = serializers.CharField(required=False, help_text="The YAML exactly as saved.")


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
        "disabled": parsed.disabled,
        "deleted": flow.deleted,
        "updated": revision.created_at,
        "source": revision.source if with_source else None,
    }
    return FlowOutputSerializer(wire).data


class FlowCreateApi(APIView):
    parser_classes = YAML_PARSERS

    @extend_schema(
        operation_id="createFlow",
        summary="Create a flow from its YAML source",
        request=YAML_BODY,
        responses=FlowOutputSerializer,
        tags=["Flows"],
    )
    def post(self, request: Request, **_: Any) -> Response:
        flow = services.flow_create(source=request.data or "")
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
        flow = services.flow_update(namespace=namespace, flow_id=flow_id, source=request.data or "")
        return Response(flow_json(flow, flow.current, with_source=True))


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
