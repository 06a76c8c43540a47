"""`/tokens`: API tokens over HTTP. The secret is in the creation's answer and nowhere else, ever."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub.api.pagination import MAX_PAGE_SIZE, page_request, paged_response
from flowhub.api.problems import Problem, drf_errors
from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Invalid

from .models import ApiToken
from .roles import Role
from .selectors import request_access
from .serializers import TokenCreatedSerializer, TokenInputSerializer, TokenPageSerializer, TokenSerializer
from .token_selectors import token_get, token_list
from .tokens import token_create, token_revoke

TAGS = ["Tokens"]
SORTS = {"createdAt": "created_at", "name": "name", "expiresAt": "expires_at", "lastUsedAt": "last_used_at"}


class TokenListApi(APIView):
    scopes_itself = True  # a caller sees their own tokens and those they created

    @extend_schema(
        operation_id="listTokens",
        summary="The caller's tokens and those they created for others (a superuser: all); never a secret",
        parameters=[
            OpenApiParameter("page", int, description="From 1"),
            OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
            OpenApiParameter("sort", str, many=True, description="field:asc|desc; " + ", ".join(SORTS)),
            OpenApiParameter("user", str, description="Only this user's tokens"),
        ],
        responses=TokenPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, **_: Any) -> Response:
        paging = page_request(request.query_params, SORTS, default=("-created_at", "id"))
        tokens = token_list(
            caller=request.user, access=request_access(request), username=request.query_params.get("user")
        )
        return paged_response(request, tokens, paging, lambda rows: TokenSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="createToken",
        summary="Create a token; its secret is answered this once",
        request=TokenInputSerializer,
        responses={201: TokenCreatedSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        body = TokenInputSerializer(data=request.data)
        if not body.is_valid():
            raise Invalid("invalid token request", _indexed(drf_errors(body.errors)))
        data = body.validated_data
        expires_at = data.get("expiresAt")
        if "expiresIn" in data:
            expires_at = timezone.now() + timedelta(seconds=data["expiresIn"])
        token, secret = token_create(
            user=_owner(request, data.get("user")),
            name=data["name"],
            expires_at=expires_at,
            bindings=[(binding["namespace"], binding["role"]) for binding in data.get("bindings", [])],
            created_by=request.user,
            acting_token=request.auth if isinstance(request.auth, ApiToken) else None,
        )
        return Response({**TokenSerializer(token).data, "token": secret}, status=201)


class TokenDetailApi(APIView):
    scopes_itself = True

    @extend_schema(operation_id="getToken", summary="A token, never its secret", responses=TokenSerializer, tags=TAGS)
    def get(self, request: Request, token_id: str, **_: Any) -> Response:
        token = token_get(caller=request.user, access=request_access(request), token_id=token_id)
        return Response(TokenSerializer(token).data)

    @extend_schema(
        operation_id="revokeToken",
        summary="Revoke a token: it is refused from now on (revoking it again changes nothing)",
        responses={204: OpenApiResponse(description="Revoked")},
        tags=TAGS,
    )
    def delete(self, request: Request, token_id: str, **_: Any) -> Response:
        token_revoke(token=token_get(caller=request.user, access=request_access(request), token_id=token_id))
        return Response(status=204)


def _owner(request: Request, username: str | None) -> Any:
    """Whose token the request creates: the caller's, or `username`'s for a caller who is admin somewhere
    (the service then checks each binding); an unknown username is named only to such a caller."""
    if not username or username == request.user.get_username():
        return request.user
    if not request_access(request).prefixes(Role.ADMIN):
        raise Problem(403, "forbidden", "Forbidden", "creating a token for another user needs an admin role")
    owner = get_user_model()._default_manager.filter(username=username).first()
    if owner is None:
        raise Invalid("unknown user", [ErrorDetail("user", f"no user is called '{username}'")])
    return owner


def _indexed(errors: list[ErrorDetail]) -> list[ErrorDetail]:
    """DRF names a list item `bindings.1.role`; the API says `bindings[1].role`, as the service does."""
    return [replace(error, path=re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", error.path)) for error in errors]
