"""The JSON of tokens, sessions and access: camelCase, nulls left out, a token's secret answered once."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowhub.api.serializers import CompactSerializer

from .models import ApiToken
from .roles import Role
from .token_selectors import REFUSALS

LONGEST_EXPIRY_SECONDS = 100 * 365 * 24 * 3600


@extend_schema_field({"type": "string", "enum": [role.label for role in Role]})
class RoleField(serializers.CharField):
    """A role name; the service names a wrong one with its place."""


@extend_schema_field({"type": "string", "enum": ApiToken.Kind.values})
class TokenKindField(serializers.CharField):
    """`api`, or `session` for the tokens of auth/login."""


@extend_schema_field({"type": "string", "enum": list(REFUSALS)})
class RefusalField(serializers.CharField):
    """Why a token does not authenticate."""


class BindingSerializer(serializers.Serializer):
    namespace = serializers.CharField(
        allow_blank=True, help_text="A namespace prefix: it and every namespace below it. Blank: every namespace."
    )
    role = RoleField()


class TokenInputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="What the token is for, at most 100 characters.")
    expiresAt = serializers.DateTimeField(required=False, help_text="When it stops working; left out: never.")
    expiresIn = serializers.IntegerField(
        required=False, min_value=1, max_value=LONGEST_EXPIRY_SECONDS, help_text="Or: seconds from now."
    )
    bindings = serializers.ListField(
        child=BindingSerializer(), required=False, max_length=100,
        help_text="Narrow the token to these roles, each within its user's own. Left out: all the user's roles.",
    )  # fmt: skip
    user = serializers.CharField(
        required=False, help_text="Whose token (a username): someone else's needs bindings and admin on each."
    )

    def validate(self, data: dict) -> dict:
        if "expiresAt" in data and "expiresIn" in data:
            raise serializers.ValidationError({"expiresIn": "give expiresAt or expiresIn, not both"})
        return data


class TokenSerializer(CompactSerializer):
    """A token as listed: never its secret, nor its digest."""

    id = serializers.CharField()
    name = serializers.CharField()
    kind = TokenKindField(help_text="`session` for auth/login's tokens.")
    prefix = serializers.CharField(help_text="The secret's first 10 characters, to tell tokens apart.")
    user = serializers.CharField(source="user.username")
    createdBy = serializers.CharField(source="created_by.username", required=False)
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at", required=False)
    expired = serializers.SerializerMethodField()
    lastUsedAt = serializers.DateTimeField(source="last_used_at", required=False, help_text="To the minute.")
    revokedAt = serializers.DateTimeField(source="revoked_at", required=False)
    bindings = BindingSerializer(many=True, source="bindings.all")

    def get_expired(self, token: ApiToken) -> bool:
        return token.expires_at is not None and token.expires_at <= timezone.now()


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The secret (`fh_…`): answered this once, never again.")


class TokenPageSerializer(serializers.Serializer):
    results = TokenSerializer(many=True)
    total = serializers.IntegerField()


class UserSerializer(serializers.Serializer):
    username = serializers.CharField()
    superuser = serializers.BooleanField(source="is_superuser")


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class SessionSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Bearer …`.")
    tokenType = serializers.CharField(help_text="Always `Bearer`.")
    expiresAt = serializers.DateTimeField()
    user = UserSerializer()


class TokenSecretInputSerializer(serializers.Serializer):
    token = serializers.CharField(required=False, help_text="Left out: the request's `Authorization: Bearer` token.")


class TokenValiditySerializer(CompactSerializer):
    valid = serializers.BooleanField()
    user = UserSerializer(required=False)
    expiresAt = serializers.DateTimeField(required=False)
    reason = RefusalField(required=False, help_text="Why it is not valid: unknown, revoked, expired or inactive.")


class CheckAccessInputSerializer(serializers.Serializer):
    namespace = serializers.CharField()
    flowId = serializers.CharField(required=False, help_text="Accepted for context: roles hold per namespace.")
    action = serializers.CharField(help_text="read, execute, edit or admin (or a role: viewer … admin).")


class CheckAccessSerializer(CompactSerializer):
    allowed = serializers.BooleanField()
    role = RoleField(required=False, help_text="The caller's role on the namespace; absent if none.")


class GrantSerializer(serializers.Serializer):
    namespace = serializers.CharField(help_text="A namespace prefix; blank: every namespace.")
    role = RoleField(source="role.label")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    superuser = serializers.BooleanField()
    grants = GrantSerializer(many=True)
