"""Django's error handlers and CSRF failure view: API paths answer problem details, as DRF's views do
(`problem_for` maps the exception for both); other paths (the admin) keep Django's HTML pages.

Django calls these for what happens outside a DRF view's exception handling: an unknown route (404), a Host
not in ALLOWED_HOSTS, a malformed multipart body or one past DATA_UPLOAD_MAX_MEMORY_SIZE read by a middleware
or a plain view (400, and 413 for the size), a PermissionDenied or CSRF failure there (403), and any
exception no handler knows (500, after django.request has logged it with its traceback).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults

from .problems import CONTENT_TYPE, Problem, csrf_failed, internal_error, problem_body, problem_for

API_PREFIXES = ("/api/", "/health", "/metrics")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _answer(request, problem_for(exception) or internal_error())
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _answer(request, problem_for(exception) or internal_error())
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _answer(request, Problem(404, "not-found", "Not found", "no such resource or route"))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _answer(request, internal_error())
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return _answer(request, csrf_failed(reason))
    return csrf.csrf_failure(request, reason)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def _answer(request: HttpRequest, problem: Problem) -> HttpResponse:
    body = problem_body(problem, request.get_full_path())
    return JsonResponse(body, status=problem.status_code, content_type=CONTENT_TYPE)
