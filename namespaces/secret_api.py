"""Namespace secrets over HTTP: `/namespaces/{namespace}/secrets[/{key}]`. Values go in, never out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub.api.serializers import CompactSerializer, OptionalTextField

from . import secrets

TAGS = ["Secrets"]


class SecretSerializer(CompactSerializer):
    """A secret's metadata: never its value."""

    namespace = serializers.CharField(source="namespace_id")
    key = serializers.CharField(source="name")
    description = OptionalTextField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    lastUsedAt = serializers.DateTimeField(source="last_used_at", required=False)


class SecretValueSerializer(serializers.Serializer):
    value = serializers.CharField(trim_whitespace=False, allow_blank=False, max_length=64 * 1024)
    description = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class SecretCreateSerializer(SecretValueSerializer):
    key = serializers.CharField(max_length=255)


class SecretListApi(APIView):
    @extend_schema(
        operation_id="listSecrets",
        summary="The secrets of a namespace: names and dates, never values",
        responses=SecretSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        return Response(SecretSerializer(secrets.secret_list(namespace=namespace), many=True).data)

    @extend_schema(
        operation_id="createSecret",
        summary="Store a secret (201), or replace the value of an existing one (200)",
        request=SecretCreateSerializer,
        responses={201: SecretSerializer, 200: SecretSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, namespace: str, **_: Any) -> Response:
        body = SecretCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _stored(namespace, body.validated_data["key"], body.validated_data)


class SecretDetailApi(APIView):
    @extend_schema(operation_id="getSecret", summary="A secret's metadata", responses=SecretSerializer, tags=TAGS)
    def get(self, request: Request, namespace: str, key: str, **_: Any) -> Response:
        return Response(SecretSerializer(secrets.secret_get(namespace=namespace, name=key)).data)

    @extend_schema(
        operation_id="putSecret",
        summary="Store or replace a secret's value",
        request=SecretValueSerializer,
        responses={201: SecretSerializer, 200: SecretSerializer},
        tags=TAGS,
    )
    def put(self, request: Request, namespace: str, key: str, **_: Any) -> Response:
        body = SecretValueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _stored(namespace, key, body.validated_data)

    @extend_schema(
        operation_id="deleteSecret",
        summary="Delete a secret",
        responses={204: OpenApiResponse(description="Deleted")},
        tags=TAGS,
    )
    def delete(self, request: Request, namespace: str, key: str, **_: Any) -> Response:
        secrets.secret_delete(namespace=namespace, name=key)
        return Response(status=204)


def _stored(namespace: str, name: str, data: dict[str, Any]) -> Response:
    secret, created = secrets.secret_set(
        namespace=namespace, name=name, value=data["value"], description=data.get("description")
    )
    return Response(SecretSerializer(secret).data, status=201 if created else 200)
