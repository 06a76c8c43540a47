"""Namespace endpoints (kestra-api.md §12, item 37): search, get one, and the tree below one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import request_access
from flowhub.api.pagination import page_request, paged_response

from . import selectors
from .models import Namespace

NAMESPACE_SORTS = {"id": "id", "flowCount": "flow_count"}


class NamespaceSerializer(serializers.Serializer):
    id = serializers.CharField()
    flowCount = serializers.IntegerField(source="flow_count", help_text="Flows directly in this namespace")
    deleted = serializers.BooleanField(default=False)


class NamespacePageSerializer(serializers.Serializer):
    results = NamespaceSerializer(many=True)
    total = serializers.IntegerField()


class NamespaceTreeSerializer(serializers.Serializer):
    id = serializers.CharField()
    flowCount = serializers.IntegerField()
    children = serializers.ListField(child=serializers.DictField(), help_text="Nodes of this same shape")


def _namespace_json(rows: list[Namespace]) -> list[Any]:
    return list(NamespaceSerializer(rows, many=True).data)


class NamespaceSearchApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="searchNamespaces",
        summary="Namespaces, with the number of flows in each",
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("page", int),
            OpenApiParameter("size", int),
            OpenApiParameter("sort", str, many=True, description="id or flowCount, :asc or :desc"),
        ],
        responses=NamespacePageSerializer,
        tags=["Namespaces"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        paging = page_request(request.query_params, NAMESPACE_SORTS, default=("id",))
        namespaces = selectors.namespace_search(access=request_access(request), text=request.query_params.get("q"))
        return paged_response(request, namespaces, paging, _namespace_json)


class NamespaceDetailApi(APIView):
    @extend_schema(operation_id="getNamespace", responses=NamespaceSerializer, tags=["Namespaces"])
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        return Response(NamespaceSerializer(selectors.namespace_get(namespace=namespace)).data)


class NamespaceTreeApi(APIView):
    @extend_schema(
        operation_id="getNamespaceTree",
        summary="A namespace and every namespace below it, nested",
        responses=NamespaceTreeSerializer,
        tags=["Namespaces"],
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        return Response(selectors.namespace_tree(namespace=namespace))
