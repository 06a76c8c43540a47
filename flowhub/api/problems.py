"""One error shape everywhere: RFC 9457 problem details, as Kestra 2.0 answers them.

`{"type", "title", "status", "detail", "instance", "errors": [{"path", "detail", "line"?,
"column"?}], "traceId"}` with `application/problem+json`; the trace id is also the
`X-Request-ID` response header. `problem_for` maps an exception to its problem for DRF's views
(`problem_exception_handler`) and for Django's error handlers alike (flowhub.api.views); docs/errors.md
lists the types.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import OperationalError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions as drf
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from flowhub import exceptions as service
from flowhub.engine import errors as engine
from flowhub.engine.errors import ErrorDetail

from .authentication import CsrfFailed
from .middleware import current_request_id
from .throttles import counted
from .uploads import UploadTooLarge

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/problem+json"


class Problem(drf.APIException):
    """An API error with its problem type slug and per-field errors."""

    def __init__(self, status: int, slug: str, title: str, detail: str, errors: list[ErrorDetail] | None = None):
        super().__init__(detail)
        self.status_code = status
        self.slug = slug
        self.title = title
        self.errors = errors or []


def csrf_failed(reason: str) -> Problem:
    """A request with a session cookie but without the CSRF token or a trusted origin (Django's reason says which)."""
    return Problem(403, "csrf-failed", "CSRF check failed", f"CSRF check failed: {reason}")


def internal_error() -> Problem:
    """What any exception no mapping knows becomes: the body says nothing of it, the log says all."""
    return Problem(500, "internal-error", "Internal error", "an unexpected error occurred")


def problem_for(exc: Exception) -> Problem | None:
    """Translate service, engine and framework errors into problems; None for anything else (a bug: a 500)."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, service.NotFound):
        return Problem(404, "not-found", "Not found", exc.detail)
    if isinstance(exc, service.Forbidden):
        return Problem(403, "forbidden", "Forbidden", exc.detail)
    if isinstance(exc, service.Conflict):
        return Problem(409, "conflict", "Conflict", exc.detail, exc.errors)
    if isinstance(exc, service.Gone):
        return Problem(410, "gone", "Gone", exc.detail)
    if isinstance(exc, service.TooLarge):
        return Problem(413, "payload-too-large", "Payload too large", exc.detail, exc.errors)
    if isinstance(exc, service.Invalid):
        return Problem(422, "validation-failed", "Validation failed", exc.detail, exc.errors)
    if isinstance(exc, engine.InvalidFlowError):
        return Problem(422, "invalid-entity", "Invalid flow", "the flow is invalid: " + str(exc), exc.errors)
    if isinstance(exc, engine.InvalidInputsError):
        return Problem(422, "validation-failed", "Invalid inputs", "invalid inputs: " + str(exc), exc.errors)
    if isinstance(exc, engine.FlowTooLargeError | UploadTooLarge):
        return Problem(413, "payload-too-large", "Payload too large", str(exc))
    if isinstance(exc, RequestDataTooBig):  # Django's words name its setting, not the limit
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"the request body, uploaded files aside, is larger than the limit of {limit} bytes"
        return Problem(413, "payload-too-large", "Payload too large", detail)
    if isinstance(exc, DisallowedHost):
        return Problem(400, "invalid-host", "Invalid Host header", "the Host header names no site this server serves")
    if isinstance(exc, SuspiciousOperation):
        # Django's words may quote the request (a file name, a header) or name settings: none are echoed.
        return Problem(400, "bad-request", "Bad request", "the request was refused as malformed or unsafe")
    if isinstance(exc, BadRequest):
        return Problem(400, "bad-request", "Bad request", str(exc))
    if isinstance(exc, drf.ParseError):
        return Problem(422, "invalid-request-body", "Invalid request body", str(exc.detail))
    if isinstance(exc, MultiPartParserError):
        return Problem(422, "invalid-request-body", "Invalid request body", f"the multipart body is invalid: {exc}")
    if isinstance(exc, drf.UnsupportedMediaType):
        return Problem(415, "unsupported-media-type", "Unsupported media type", str(exc.detail))
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return Problem(401, "unauthenticated", "Unauthenticated", str(exc.detail))
    if isinstance(exc, CsrfFailed):
        return csrf_failed(exc.reason)
    if isinstance(exc, drf.PermissionDenied | PermissionDenied):
        return Problem(403, "forbidden", "Forbidden", "you may not do this")
    if isinstance(exc, drf.NotFound | Http404):
        return Problem(404, "not-found", "Not found", "the requested resource does not exist")
    if isinstance(exc, drf.MethodNotAllowed):
        return Problem(405, "method-not-allowed", "Method not allowed", str(exc.detail))
    if isinstance(exc, drf.NotAcceptable):
        return Problem(406, "not-acceptable", "Not acceptable", str(exc.detail))
    if isinstance(exc, drf.Throttled):
        return Problem(429, "too-many-requests", "Too many requests", str(exc.detail))
    if isinstance(exc, drf.ValidationError):
        return Problem(400, "invalid-query-parameter", "Invalid request", "invalid request", drf_errors(exc.detail))
    if isinstance(exc, drf.APIException):
        return Problem(exc.status_code, "bad-request", "Bad request", str(exc.detail))
    if isinstance(exc, OperationalError):
        # The database refused a connection (too many clients, restarting) or gave up a transaction
        # (deadlock): nothing was done, and the same request may well succeed a moment later.
        logger.warning("database unavailable: %s", exc)
        return Problem(503, "service-unavailable", "Service unavailable", "the database is unavailable; retry")
    return None


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    exc = counted(exc, context.get("view"), request)
    problem = problem_for(exc)
    if problem is None:
        # DRF re-raises it: Django logs it with its traceback (django.request) while the trace id is still
        # set, and answers with handler500 (flowhub.api.views.server_error), as for any view.
        return None
    set_rollback()
    headers = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    elif problem.status_code == 503:
        headers["Retry-After"] = "1"
    body = problem_body(problem, request.get_full_path() if request else None)
    return Response(body, status=problem.status_code, headers=headers, content_type=CONTENT_TYPE)


def problem_body(problem: Problem, instance: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem.slug,
        "title": problem.title,
        "status": problem.status_code,
        "detail": str(problem.detail),
        "instance": instance,
        "errors": [error_json(error) for error in problem.errors] or None,
        "traceId": current_request_id(),
    }
    return {key: value for key, value in body.items() if value is not None}


class ProblemErrorSerializer(serializers.Serializer):
    """One entry of a problem's `errors`."""

    path = serializers.CharField()
    detail = serializers.CharField()
    line = serializers.IntegerField(required=False)
    column = serializers.IntegerField(required=False)


def error_json(error: ErrorDetail) -> dict[str, Any]:
    item = {"path": error.path, "detail": error.detail, "line": error.line, "column": error.column}
    return {key: value for key, value in item.items() if value is not None}


def validated_body(serializer: serializers.Serializer, detail: str) -> dict[str, Any]:
    """The serializer's validated data; Invalid (a 422 naming each field at fault) when the body is not valid."""
    if not serializer.is_valid():
        raise service.Invalid(detail, drf_errors(serializer.errors))
    return dict(serializer.validated_data)


def drf_errors(detail: Any, prefix: str = "") -> list[ErrorDetail]:
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in drf_errors(value, f"{prefix}.{key}" if prefix else str(key))
        ]
    if isinstance(detail, list):
        return [error for item in detail for error in drf_errors(item, prefix)]
    return [ErrorDetail(prefix or "$", str(detail))]
