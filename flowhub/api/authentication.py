"""HTTP basic authentication that runs Django's password hasher once per credential, not per request, and
session authentication whose CSRF failure is a problem of its own.

Django's PBKDF2 hasher is made to be slow (about a quarter of a second here), and API clients send
basic credentials on every request. Once a password is verified, this process remembers an HMAC
of it next to the user's stored hash; a later request with the same password for the same stored
hash skips the hasher. Changing the password changes the stored hash, which voids the entry.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions
from rest_framework.authentication import BasicAuthentication

MAX_REMEMBERED = 1024


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
