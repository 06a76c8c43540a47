"""`GET /plugins` and `GET /plugins/{type}`: the task and trigger types, and the JSON Schema of each."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub.engine.registry import describe, json_schema
from flowhub.exceptions import NotFound
from namespaces.flows import task_registry


class PluginSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Kestra's full type name, e.g. `io.kestra.plugin.core.log.Log`.")
    aliases = serializers.ListField(child=serializers.CharField(), help_text="Older names that still work.")
    # Not an enum: other kinds (conditions, task runners) may come, and a generated client must not break on them.
    kind = serializers.CharField(help_text="What the type is: `task` or `trigger`.")
    title = serializers.CharField(help_text="The first line of `description`; the type when that is empty.")
    description = serializers.CharField()


class PluginListApi(APIView):
    scopes_itself = True  # the plugin catalogue holds nothing of a namespace

    @extend_schema(
        operation_id="listPlugins",
        summary="Every task and trigger type flowhub knows, built in or installed, sorted by type",
        responses=PluginSerializer(many=True),
        tags=["Plugins"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        types = sorted(task_registry().types(), key=lambda plugin_type: plugin_type.TYPE)
        return Response(PluginSerializer([describe(plugin_type) for plugin_type in types], many=True).data)


class PluginSchemaApi(APIView):
    scopes_itself = True  # the plugin catalogue holds nothing of a namespace

    @extend_schema(
        operation_id="getPluginSchema",
        summary="The JSON Schema (2020-12) of a task or trigger type, by full name or alias",
        parameters=[
            OpenApiParameter("plugin_type", str, OpenApiParameter.PATH, description="A full type name or an alias"),
        ],
        responses=OpenApiResponse(
            OpenApiTypes.OBJECT, description="A JSON Schema of one task or trigger as written in a flow"
        ),
        tags=["Plugins"],
    )
    def get(self, request: Request, plugin_type: str, **_: Any) -> Response:
        found = task_registry().resolve(plugin_type)
        if found is None:
            raise NotFound(f"no task or trigger type named '{plugin_type}'")
        return Response(json_schema(found))
