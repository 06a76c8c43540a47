"""Every request carries a trace id (the caller's X-Request-ID when sane, else a new one), and leaves one log line."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from flowhub.engine.ids import new_id

_current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_URL_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
HEADER = "X-Request-ID"
request_log = logging.getLogger("flowhub.requests")


def current_request_id() -> str:
    return _current_request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get(HEADER, "")
        request_id = supplied if _ACCEPTABLE.fullmatch(supplied) else new_id()
        request.request_id = request_id  # type: ignore[attr-defined]  # for lines logged after the reset below
        token = _current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestLogMiddleware:
    """One INFO line per request on `flowhub.requests`: method, path, status and milliseconds until the response
    (for a stream, until it starts). Never the query string, whose values may be credentials; URL parts a view
    names in `secret_url_kwargs` (a webhook's key) are masked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        milliseconds = round((time.monotonic() - started) * 1000)
        path = logged_path(request)
        request_log.info(
            "%s %s %s %sms", request.method, path, response.status_code, milliseconds,
            extra={"method": request.method, "path": path, "status": response.status_code, "duration_ms": milliseconds},
        )  # fmt: skip
        return response


def logged_path(request: HttpRequest) -> str:
    match = request.resolver_match
    secret = getattr(getattr(match.func, "cls", None), "secret_url_kwargs", ()) if match else ()
    if not secret or match is None:
        return request.path

    def shown(parameter: re.Match[str]) -> str:
        return "****" if parameter[1] in secret else str(match.kwargs[parameter[1]])

    return "/" + _URL_PARAMETER.sub(shown, match.route)


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a 4xx/5xx response once the middleware chain has returned, with the request attached.
        record.request_id = getattr(getattr(record, "request", None), "request_id", None) or current_request_id()
        return True
