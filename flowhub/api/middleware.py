"""Every request carries a trace id: the caller's X-Request-ID when sane, else a new one."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from flowhub.engine.ids import new_id

_current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEADER = "X-Request-ID"


def current_request_id() -> str:
    return _current_request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get(HEADER, "")
        request_id = supplied if _ACCEPTABLE.fullmatch(supplied) else new_id()
        token = _current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True
