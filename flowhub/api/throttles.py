"""Rate limits: at most N requests per caller in each fixed window of the rate's period (docs/access.md).

A window's count is one cache key, created with `add` and raised with `incr`, both atomic in LocMemCache
and Redis: concurrent requests never lose a count, and a request costs two cache calls whatever the rate.
Windows are aligned on the epoch (a minute's window starts on the minute), so a caller may send up to
twice the rate across a window boundary; that is the price of one counter instead of a log of timestamps.

Each throttle leaves its caller's state on the request, and `RateLimitHeadersMiddleware` writes the
tightest one onto the response as `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
(seconds until the window ends, as the IETF draft's RateLimit-Reset: no clock agreement needed).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions as drf
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from access.models import ApiToken
from flowhub.env import parse_rate

logger = logging.getLogger(__name__)
_STATE = "flowhub_rate_limit"
"""The HttpRequest attribute holding the tightest RateLimit of the throttles that counted the request."""


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: int
    """Whole seconds until the window ends and the count starts again, at least 1."""

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


@lru_cache(maxsize=16)
def _rate(text: str) -> tuple[int, int] | None:
    return parse_rate(text)


def _count(key: str, period: int) -> int:
    """This request's number in the window that `key` counts."""
    if cache.add(key, 1, timeout=period):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between `add` and `incr`: a new window has begun
        cache.add(key, 1, timeout=period)
        return 1


def client_ip(request: Request) -> str:
    """The caller's address. Behind a proxy (FLOWHUB_BEHIND_TLS_PROXY) it is the last X-Forwarded-For entry,
    the one the proxy itself appended: the ones before it are whatever the client sent, so trusting them
    would let anyone pick a fresh address, and a fresh count, for each request."""
    if settings.FLOWHUB_BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return str(request.META.get("REMOTE_ADDR", ""))


class FixedWindowThrottle(BaseThrottle):
    """Counts requests per `caller()` under the rate its `setting` names (read on each request, so that
    override_settings applies; empty or `off` counts nothing). The caller is hashed into the cache key:
    neither a webhook key nor a user name is ever stored in clear. The clock is `time.time`, read at each
    request, so that a test can move it."""

    scope: str
    setting: str

    def caller(self, request: Request, view: Any) -> str:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        rate = _rate(getattr(settings, self.setting))
        if rate is None:
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        caller = hashlib.sha256(self.caller(request, view).encode()).hexdigest()
        try:
            count = _count(f"throttle:{self.scope}:{caller}:{window}", period)
        except redis.RedisError as exc:  # limits are a guard, not the service: without their counts, serve
            logger.warning("rate limit %s not applied: the cache is unreachable (%s)", self.scope, exc)
            return True
        self.state = RateLimit(limit, max(0, limit - count), math.ceil((window + 1) * period - now))
        _keep_tightest(request._request, self.state)
        return count <= limit

    def wait(self) -> float:
        return self.state.reset


class ApiThrottle(FixedWindowThrottle):
    """Every API view's (DEFAULT_THROTTLE_CLASSES): per API token, else per user, else per client address."""

    scope = "api"
    setting = "FLOWHUB_RATE_LIMIT"

    def caller(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            return f"token:{request.auth.pk}"
        if request.user is not None and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"address:{client_ip(request)}"


class WebhookThrottle(FixedWindowThrottle):
    """The webhook views': per webhook (namespace, flow, key), whoever calls it."""

    scope = "webhook"
    setting = "FLOWHUB_WEBHOOK_RATE_LIMIT"

    def caller(self, request: Request, view: Any) -> str:
        return "\0".join((view.kwargs["namespace"], view.kwargs["flow_id"], view.kwargs["key"]))


class LoginThrottle(FixedWindowThrottle):
    """For `POST /auth/login`: per client address and user name tried. Beside ApiThrottle, which bounds
    the names one address may try: `throttle_classes = [ApiThrottle, LoginThrottle]`."""

    scope = "login"
    setting = "FLOWHUB_LOGIN_RATE_LIMIT"

    def caller(self, request: Request, view: Any) -> str:
        data = request.data
        username = data.get("username") if isinstance(data, Mapping) else None
        return f"{client_ip(request)}\0{username or ''}"


def _keep_tightest(request: HttpRequest, state: RateLimit) -> None:
    """Several throttles may count one request: the response reports the one with the fewest requests left."""
    kept: RateLimit | None = getattr(request, _STATE, None)
    if kept is None or (state.remaining, -state.reset) < (kept.remaining, -kept.reset):
        setattr(request, _STATE, state)


def counted(exc: Exception, view: Any, request: Request | None) -> Exception:
    """The exception a refused request answers with, once the view's throttles have counted it.

    DRF throttles after authentication and permissions, so a request those refuse would never count, and
    a password guesser would never be slowed. The problem handler calls this: a request refused before its
    throttles ran (no state on it yet: a 401, a 403, a 404 for a namespace out of sight) is counted now, and
    past the limit it is the 429 instead."""
    if request is None or view is None or hasattr(request._request, _STATE):
        return exc  # not a view's, or counted already
    try:
        view.check_throttles(request)
    except drf.Throttled as throttled:
        return throttled
    return exc


class RateLimitHeadersMiddleware:
    """Writes the rate limit headers onto every response a throttle counted, errors and the 429 included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        state: RateLimit | None = getattr(request, _STATE, None)
        if state is not None:
            for name, value in state.headers().items():
                response[name] = value
        return response
