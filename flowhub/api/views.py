"""Django-level error handlers: API paths answer in the problem-details shape too."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from .middleware import current_request_id
from .problems import CONTENT_TYPE

API_PREFIXES = ("/api/", "/health")


def _problem(request: HttpRequest, status: int, slug: str, title: str, detail: str) -> HttpResponse:
    body = {
        "type": slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.get_full_path(),
        "traceId": current_request_id(),
    }
    return HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIXES):
        return _problem(request, 404, "not-found", "Not found", "no such resource or route")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIXES):
        return _problem(request, 500, "internal-error", "Internal error", "an unexpected error occurred")
    return defaults.server_error(request)
