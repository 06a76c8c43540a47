"""Sessions for API clients (a gateway, a UI): a short-lived token per login, exchanged on refresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Conflict, Invalid

from .models import ApiToken
from .tokens import token_create

SESSION_NAME = "session (auth/login)"


def session_open(*, user: Any) -> tuple[ApiToken, str]:
    """A session token for `user`, who just proved who they are; it lasts FLOWHUB_SESSION_TOKEN_SECONDS."""
    expires_at = timezone.now() + timedelta(seconds=settings.FLOWHUB_SESSION_TOKEN_SECONDS)
    return token_create(
        user=user, name=SESSION_NAME, expires_at=expires_at, kind=ApiToken.Kind.SESSION, created_by=user
    )


def session_refresh(*, token: ApiToken) -> tuple[ApiToken, str]:
    """A new session token in place of `token` (a valid session token), which is revoked.

    Two refreshes of one token race for its revocation: one wins, the other is a Conflict, so a token is
    never exchanged twice."""
    if token.kind != ApiToken.Kind.SESSION:
        raise Invalid("only a session token can be refreshed", [ErrorDetail("token", "an API token, not a session")])
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if not revoked:
            raise Conflict("the token was revoked or refreshed meanwhile")
        return session_open(user=token.user)
