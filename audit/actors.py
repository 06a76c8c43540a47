"""Who is acting now: the person behind the current request, the one a command acts for, or nobody.

`ActorMiddleware` keeps the current request in a ContextVar. The actor is read from it lazily, when a
service records something: by then DRF has authenticated the request, and its Request sets the user and
the auth (the ApiToken of a bearer token) on the HttpRequest it wraps (rest_framework/request.py, the
`user` and `auth` setters). A command sets its actor with `acting_as`. Outside both (Celery tasks, the
scheduler, flow triggers, webhooks, a flow's own tasks) nobody in particular acts: `current_actor()` is
None, and that background work is not audited, the executions it belongs to being its record.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

from access.models import ApiToken

from .models import AuditEntry

Via = AuditEntry.Via


@dataclass(frozen=True)
class Actor:
    via: str
    user: Any = None
    token: ApiToken | None = None
    ip: str | None = None


_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_acting: ContextVar[Actor | None] = ContextVar("audit_acting", default=None)


def current_actor() -> Actor | None:
    """Who acts: the one `acting_as` names, else the current request's authenticated user; None for nobody."""
    if (acting := _acting.get()) is not None:
        return acting
    request = _request.get()
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return None  # no request, or an unauthenticated one (a webhook call, authenticated by its key)
    token = getattr(request, "auth", None)
    return Actor(
        via=Via.ADMIN if _in_admin(request) else Via.API,
        user=user,
        token=token if isinstance(token, ApiToken) else None,
        ip=client_ip(request),
    )


@contextmanager
def acting_as(user: Any, *, via: str = Via.CLI) -> Iterator[Actor]:
    """Within the block, what services do is recorded as done by `user` (None: by nobody named) through `via`:
    for management commands (`via="cli"`) and the audit log's own upkeep (`via="system"`)."""
    actor = Actor(via=Via(via), user=user)
    reset = _acting.set(actor)
    try:
        yield actor
    finally:
        _acting.reset(reset)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address. Behind a proxy, uvicorn has already put the client's there from X-Forwarded-For
    when the proxy is one it trusts (FORWARDED_ALLOW_IPS): the header itself is the caller's own say."""
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None


def _in_admin(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and "admin" in match.namespaces


class ActorMiddleware:
    """Keeps the request for `current_actor()`; after AuthenticationMiddleware, which gives the admin its user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reset = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(reset)
