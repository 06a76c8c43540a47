"""Kestra's KV endpoints: `/namespaces/{namespace}/kv[/{key}]`, `/kv` (search) and inheritance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import request_access
from flowhub.api.filters import parse_filters
from flowhub.api.pagination import MAX_PAGE_SIZE, page_request, paged_response
from flowhub.api.parsers import KV_VALUE_PARSERS
from flowhub.api.serializers import CompactSerializer, OptionalTextField
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.inputs.temporal import to_duration
from flowhub.engine.kv import KVType, infer
from flowhub.exceptions import Invalid

from . import selectors, services

KV_SORTS = {
    "key": "key",
    "namespace": "namespace_id",
    "description": "description",
    "creationDate": "created_at",
    "updateDate": "updated_at",
    "expirationDate": "expires_at",
    "revision": "revision",
}
KV_FILTERS = {"namespace": frozenset({"EQUALS", "IN", "PREFIX", "STARTS_WITH"}), "q": frozenset({"EQUALS"})}
TAGS = ["KV"]


class KVEntrySerializer(CompactSerializer):
    """Kestra's KVEntry, with the value's size in bytes."""

    namespace = serializers.CharField(source="namespace_id")
    key = serializers.CharField()
    description = OptionalTextField()
    creationDate = serializers.DateTimeField(source="created_at")
    updateDate = serializers.DateTimeField(source="updated_at")
    expirationDate = serializers.DateTimeField(source="expires_at", required=False)
    revision = serializers.IntegerField()
    size = serializers.IntegerField(help_text="flowhub: bytes of the value as JSON")


class KVValueSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[kv_type.value for kv_type in KVType])
    value = serializers.JSONField(allow_null=True, help_text="DATETIME, DATE and DURATION as ISO-8601 text")
    revision = serializers.IntegerField()
    updated = serializers.DateTimeField(source="updated_at")


class KVPageSerializer(serializers.Serializer):
    results = KVEntrySerializer(many=True)
    total = serializers.IntegerField()


class KVKeysSerializer(serializers.Serializer):
    keys = serializers.ListField(child=serializers.CharField(), allow_empty=True)


class KVDetailApi(APIView):
    parser_classes = KV_VALUE_PARSERS

    @extend_schema(
        operation_id="getKeyValue",
        summary="A key's typed value; 404 if there is none, 410 once it has expired",
        responses=KVValueSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, key: str, **_: Any) -> Response:
        return Response(KVValueSerializer(selectors.kv_get(namespace=namespace, key=key)).data)

    @extend_schema(
        operation_id="setKeyValue",
        summary="Set a key: the body is typed as JSON, else an ISO date-time, date or duration, else text",
        request={"text/plain": OpenApiTypes.STR, "application/json": OpenApiTypes.ANY},
        parameters=[
            OpenApiParameter("ttl", str, OpenApiParameter.HEADER, description="ISO-8601 duration, e.g. PT1H"),
            OpenApiParameter("description", str, OpenApiParameter.HEADER),
        ],
        responses={200: OpenApiResponse(description="Stored")},
        tags=TAGS,
    )
    def put(self, request: Request, namespace: str, key: str, **_: Any) -> Response:
        kv_type, value = infer(request.data if isinstance(request.data, str) else "")
        services.kv_set(
            namespace=namespace,
            key=key,
            kv_type=kv_type,
            value=value,
            ttl=_ttl(request.headers.get("ttl")),
            description=request.headers.get("description"),
        )
        return Response(status=200)

    @extend_schema(
        operation_id="deleteKeyValue",
        summary="Delete a key: true if it was there, false if not",
        responses=OpenApiTypes.BOOL,
        tags=TAGS,
    )
    def delete(self, request: Request, namespace: str, key: str, **_: Any) -> Response:
        return Response(services.kv_delete(namespace=namespace, key=key))


class KVListApi(APIView):
    @extend_schema(
        operation_id="listKeys",
        summary="The live keys of a namespace, with their metadata",
        responses=KVEntrySerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        return Response(KVEntrySerializer(selectors.kv_list(namespace=namespace), many=True).data)

    @extend_schema(
        operation_id="deleteKeyValues",
        summary="Delete several keys; answers the keys that were there",
        request=KVKeysSerializer,
        responses=KVKeysSerializer,
        tags=TAGS,
    )
    def delete(self, request: Request, namespace: str, **_: Any) -> Response:
        body = KVKeysSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deleted = services.kv_delete_many(namespace=namespace, keys=body.validated_data["keys"])
        return Response({"keys": deleted})


class KVInheritanceApi(APIView):
    @extend_schema(
        operation_id="listKeysWithInheritance",
        summary="The live keys of the namespace's parents, nearest first; a nearer parent's key hides a farther one's",
        responses=KVEntrySerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        return Response(
            KVEntrySerializer(
                selectors.kv_inherited(access=request_access(request), namespace=namespace), many=True
            ).data
        )


class KVSearchApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="searchKeys",
        summary="Search the live keys of every namespace: filters[namespace][EQUALS|IN|PREFIX], filters[q][EQUALS]",
        parameters=[
            OpenApiParameter("page", int, description="From 1"),
            OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
            OpenApiParameter("sort", str, many=True, description="field:asc|desc; fields: " + ", ".join(KV_SORTS)),
            OpenApiParameter("q", str, description="Text in the key"),
            OpenApiParameter("namespace", str, description="This namespace and those below it"),
        ],
        responses=KVPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, **_: Any) -> Response:
        params = request.query_params
        paging = page_request(params, KV_SORTS, default=("namespace_id", "key"))
        criteria: dict[str, Any] = {"text": params.get("q"), "prefix": params.get("namespace"), "namespaces": []}
        for condition in parse_filters(params, KV_FILTERS):
            if condition.field == "q":
                criteria["text"] = condition.value
            elif condition.operation in ("PREFIX", "STARTS_WITH"):
                criteria["prefix"] = condition.value
            else:
                criteria["namespaces"].extend(condition.value.split(","))
        entries = selectors.kv_search(access=request_access(request), **criteria)
        return paged_response(request, entries, paging, lambda rows: KVEntrySerializer(rows, many=True).data)


def _ttl(header: str | None) -> timedelta | None:
    if header is None:
        return None
    try:
        ttl = to_duration(header.strip())
    except ValueError as exc:
        raise Invalid(f"invalid ttl header '{header}'", [ErrorDetail("ttl", str(exc))]) from None
    if ttl <= timedelta(0):
        raise Invalid(f"invalid ttl header '{header}'", [ErrorDetail("ttl", "must be a positive duration")])
    return ttl
