"""Sessions for API clients under `/auth/…`, and `/me`: log in for a short-lived token, refresh it, check a
token or an action, log out.

Login, refresh and validate carry their credential in the request itself (a password, a token in the body),
so they run no authentication class: a stale `Authorization` header does not refuse them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub.api.authentication import REALM, bearer_secret, token_authenticated
from flowhub.api.problems import validated_body
from flowhub.api.throttles import ApiThrottle, LoginThrottle
from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Invalid
from namespaces.services import namespace_checked

from .models import ApiToken
from .roles import Role
from .selectors import request_access
from .serializers import (
    CheckAccessInputSerializer,
    CheckAccessSerializer,
    LoginInputSerializer,
    MeSerializer,
    SessionSerializer,
    TokenSecretInputSerializer,
    TokenValiditySerializer,
)
from .sessions import session_open, session_refresh
from .token_selectors import token_find, token_refusal
from .tokens import token_mark_used, token_revoke

TAGS = ["Sessions"]
ACTIONS = {"read": Role.VIEWER, "execute": Role.EXECUTOR, "edit": Role.EDITOR, "admin": Role.ADMIN}


class CredentialInRequestApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{REALM}"'  # DRF answers a 401 without a challenge as 403


class LoginApi(CredentialInRequestApi):
    # Per address and name tried, and per address whatever the name: guessing ends in 429s either way.
    throttle_classes = [ApiThrottle, LoginThrottle]

    @extend_schema(
        operation_id="login",
        summary="Trade a username and password (JSON or form) for a session token",
        request=LoginInputSerializer,
        responses=SessionSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        data = validated_body(LoginInputSerializer(data=request.data), "invalid login")
        # Django's authenticate runs the password hasher for an unknown username too: no timing tells them apart.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            raise AuthenticationFailed("invalid username or password")
        return _session(*session_open(user=user))


class RefreshApi(CredentialInRequestApi):
    @extend_schema(
        operation_id="refreshSession",
        summary="Trade a valid session token (body or bearer header) for a new one; the old one is revoked",
        request=TokenSecretInputSerializer,
        responses=SessionSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        return _session(*session_refresh(token=token_authenticated(_presented_secret(request))))


class ValidateApi(CredentialInRequestApi):
    @extend_schema(
        operation_id="validateToken",
        summary="Whether a token (body or bearer header) is valid now, and whose it is; always 200",
        request=TokenSecretInputSerializer,
        responses=TokenValiditySerializer,
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        token = token_find(secret=_presented_secret(request))
        now = timezone.now()
        if token is None:
            answer: dict[str, Any] = {"valid": False, "reason": "unknown"}
        elif refusal := token_refusal(token, now):
            answer = {
                "valid": False,
                "reason": refusal,
                "expiresAt": token.expires_at if refusal == "expired" else None,
            }
        else:
            token_mark_used(token=token, now=now)  # a gateway validating a token is using it
            answer = {"valid": True, "user": token.user, "expiresAt": token.expires_at}
        return Response(TokenValiditySerializer(answer).data)


class CheckAccessApi(APIView):
    scopes_itself = True  # answers for the caller only, about the namespace in the body

    @extend_schema(
        operation_id="checkAccess",
        summary="Whether the caller may do an action on a namespace (or a flow in it), and their role there",
        request=CheckAccessInputSerializer,
        responses=CheckAccessSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        data = validated_body(CheckAccessInputSerializer(data=request.data), "invalid access check")
        namespace = namespace_checked(data["namespace"])
        needed = _needed_role(data["action"])
        access = request_access(request)
        role = access.role_in(namespace)
        answer = {"allowed": access.allows(namespace, needed), "role": role.label if role else None}
        return Response(CheckAccessSerializer(answer).data)


class LogoutApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="logout",
        summary="Revoke the bearer token of this request (with basic credentials there is nothing to revoke)",
        request=None,
        responses={204: OpenApiResponse(description="Logged out")},
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        if isinstance(request.auth, ApiToken):
            token_revoke(token=request.auth)
        return Response(status=204)


class MeApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="me",
        summary="Who the caller is and what they may do: their grants, narrowed by their token's bindings",
        responses=MeSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, **_: Any) -> Response:
        user = request.user
        me = {"username": user.get_username(), "superuser": user.is_superuser, "grants": request_access(request).grants}
        return Response(MeSerializer(me).data)


def _presented_secret(request: Request) -> str:
    """The token a request asks about: `token` in its body, else its bearer header."""
    body = validated_body(TokenSecretInputSerializer(data=request.data), "invalid token")
    secret = body.get("token") or bearer_secret(request, False)
    if not secret:
        raise Invalid("no token", [ErrorDetail("token", "required, in the body or as Authorization: Bearer")])
    return secret


def _needed_role(action: str) -> Role:
    if action in ACTIONS:
        return ACTIONS[action]
    try:
        return Role.parse(action)
    except ValueError:
        known = ", ".join([*ACTIONS, *(role.label for role in Role if role.label not in ACTIONS)])
        raise Invalid("unknown action", [ErrorDetail("action", f"'{action}' is not one of {known}")]) from None


def _session(token: ApiToken, secret: str) -> Response:
    session = {"token": secret, "tokenType": "Bearer", "expiresAt": token.expires_at, "user": token.user}
    return Response(SessionSerializer(session).data)
