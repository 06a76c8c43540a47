"""How API callers prove who they are: bearer tokens (`fh_…`), HTTP basic with a cached password check,
and the admin's session, whose CSRF failure is a problem of its own.

Django's PBKDF2 hasher is made to be slow (about a quarter of a second here), and API clients send
basic credentials on every request. Once a password is verified, this process remembers an HMAC
of it next to the user's stored hash; a later request with the same password for the same stored
hash skips the hasher. Changing the password changes the stored hash, which voids the entry.

A 401 carries the challenge of the first authentication class, TokenAuthentication: one for both
schemes when the request had no bearer token (basic first: browsers and `curl --anyauth` pick it),
RFC 6750's `invalid_token` error when it had one.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.authentication import BaseAuthentication, BasicAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from access.models import ApiToken
from access.token_selectors import token_find, token_refusal
from access.tokens import token_mark_used

MAX_REMEMBERED = 1024
REALM = "flowhub"
REFUSAL_DETAILS = {
    "revoked": "the token was revoked",
    "expired": "the token expired at {expires_at}",
    "inactive": "the token's user is inactive",
}


class _VerifiedPasswords:
    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[Any, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def digest(password: str) -> bytes:
        return hmac.new(settings.SECRET_KEY.encode(), password.encode(), hashlib.sha256).digest()

    def matches(self, user: Any, password: str) -> bool:
        with self._lock:
            remembered = self._entries.get((user.pk, user.password))
        return remembered is not None and hmac.compare_digest(remembered, self.digest(password))

    def remember(self, user: Any, password: str) -> None:
        with self._lock:
            self._entries[(user.pk, user.password)] = self.digest(password)
            while len(self._entries) > MAX_REMEMBERED:
                self._entries.popitem(last=False)


verified_passwords = _VerifiedPasswords()


class CachedBasicAuthentication(BasicAuthentication):
    www_authenticate_realm = "flowhub"

    def authenticate_credentials(self, userid: str, password: str, request: Any = None) -> tuple[Any, None]:
        user_model = get_user_model()
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: userid}).first()
        if user is not None and user.is_active and verified_passwords.matches(user, password):
            return user, None
        user, auth = super().authenticate_credentials(userid, password, request)
        verified_passwords.remember(user, password)
        return user, auth


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer fh_…`: the request acts for the token's user, narrowed by its bindings
    (`request.auth` is the ApiToken; access.selectors.request_access reads it)."""

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        secret = bearer_secret(request)
        if secret is None:
            return None  # not ours: basic or the admin's session may answer
        token = token_authenticated(secret)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        if bearer_secret(request, strict=False) is not None:
            return f'Bearer realm="{REALM}", error="invalid_token"'
        return f'Basic realm="{REALM}", Bearer realm="{REALM}"'


def bearer_secret(request: Any, strict: bool = True) -> str | None:
    """The secret of a request's `Authorization: Bearer …` header; None without one. `strict`: a header
    that is not a single credential is refused, as DRF refuses a malformed basic one."""
    scheme, _, credential = get_authorization_header(request).decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    credential = credential.strip()
    if strict and (not credential or " " in credential):
        raise AuthenticationFailed("invalid bearer header: give one token after 'Bearer '")
    return credential


def token_authenticated(secret: str) -> ApiToken:
    """The token of `secret`, if it may act now (its last use recorded); AuthenticationFailed saying why not."""
    token = token_find(secret=secret)
    if token is None:
        raise AuthenticationFailed("invalid token")
    now = timezone.now()
    if refusal := token_refusal(token, now):
        expires_at = token.expires_at.isoformat().replace("+00:00", "Z") if token.expires_at else ""
        raise AuthenticationFailed(REFUSAL_DETAILS[refusal].format(expires_at=expires_at))
    token_mark_used(token=token, now=now)
    return token


class CsrfFailed(exceptions.PermissionDenied):
    """An unsafe request with a session cookie but without the CSRF token, or from an untrusted origin."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SessionAuthentication(authentication.SessionAuthentication):
    """A browser's Django session (the admin's login, the API docs' "try it out"), whose CSRF failure is the
    `csrf-failed` problem with Django's reason rather than any 403."""

    def enforce_csrf(self, request: Any) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise CsrfFailed(str(exc.detail).removeprefix("CSRF Failed: ")) from exc
