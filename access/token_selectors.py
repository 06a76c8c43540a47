"""Reading tokens: by their secret (authentication), and the ones a caller may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from flowhub.exceptions import NotFound

from .models import ApiToken, TokenBinding
from .roles import Access, Role
from .selectors import namespace_q
from .tokens import SECRET_PREFIX, token_digest

REFUSALS = ("unknown", "revoked", "expired", "inactive")
"""Why a secret does not authenticate: no token has it, or its token was revoked, expired, or its user inactive."""


def token_find(*, secret: str) -> ApiToken | None:
    """The token whose secret is `secret`, with its user; None when there is none."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    # Looked up by the secret's digest: the index compares digests, never the secret itself.
    return ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()


def token_refusal(token: ApiToken, now: datetime) -> str | None:
    """Why `token` no longer authenticates, `revoked`, `expired` or `inactive` (its user), or None."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    if not token.user.is_active:
        return "inactive"
    return None


def token_list(*, caller: Any, access: Access, username: str | None = None) -> QuerySet[ApiToken]:
    """The caller's own tokens, those they created for others and those within the namespaces they administer;
    every token for a superuser acting with all their roles (not through a narrowed token)."""
    tokens = ApiToken.objects.select_related("user", "created_by").prefetch_related("bindings")
    if not (caller.is_superuser and access.everywhere(Role.ADMIN)):
        tokens = tokens.filter(Q(user=caller) | Q(created_by=caller) | Q(pk__in=_administered(access)))
    if username:
        tokens = tokens.filter(user__username=username)
    return tokens


def _administered(access: Access) -> QuerySet[ApiToken]:
    """Tokens narrowed to namespaces the caller administers, all of their bindings: a namespace admin manages
    the tokens that reach only their namespaces (a token without bindings reaches all its owner's)."""
    outside = TokenBinding.objects.filter(token=OuterRef("pk")).exclude(namespace_q(access, Role.ADMIN))
    return ApiToken.objects.filter(bindings__isnull=False).exclude(Exists(outside)).values("pk")


def token_get(*, caller: Any, access: Access, token_id: str) -> ApiToken:
    """One of the tokens `token_list` shows; NotFound for any other, whether it exists or not."""
    token = token_list(caller=caller, access=access).filter(pk=token_id).first()
    if token is None:
        raise NotFound(f"token '{token_id}' does not exist")
    return token
