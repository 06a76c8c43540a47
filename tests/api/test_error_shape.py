"""Every error the server produces, DRF's and Django's, is one shape on API paths: RFC 9457 problem details
whose traceId is the X-Request-ID header, saying nothing of tracebacks or settings (docs/errors.md).
Other paths (the admin) keep Django's HTML pages."""

import logging
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from flowhub.api.middleware import RequestIdLogFilter
from tests.conftest import PASSWORD

FIELDS = {"type", "title", "status", "detail", "instance", "traceId"}
pytestmark = pytest.mark.urls("tests.urls")  # flowhub's routes and handlers, plus views with bugs


def problem(response, status: int, slug: str, title: str, detail: str, instance: str) -> dict:
    """Checks every field; `detail` ending in '…' is a prefix."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) - {"errors"} == FIELDS
    assert (body["type"], body["title"], body["status"], body["instance"]) == (slug, title, status, instance)
    if detail.endswith("…"):
        assert body["detail"].startswith(detail[:-1]), body["detail"]
    else:
        assert body["detail"] == detail
    assert body["traceId"] == response["X-Request-ID"]
    text = response.content.decode()
    for leak in ("Traceback", 'File "', "kaboom", settings.SECRET_KEY, "settings."):
        assert leak not in text
    return body


def test_a_malformed_json_body_is_422_invalid_request_body(api):
    response = api.post("/api/v1/notifications?x=1", '{"url": ', content_type="application/json")
    problem(
        response, 422, "invalid-request-body", "Invalid request body", "JSON parse error - …",
        "/api/v1/notifications?x=1",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/v1/notifications", "Multipart form parse error - Invalid boundary in multipart: None"),
        ("/api/v1/test/plain-form", "the multipart body is invalid: Invalid boundary in multipart: None"),
    ],
)
def test_a_malformed_multipart_body_is_422_in_a_drf_view_and_a_plain_one(api, path, detail):
    response = api.generic("POST", path, b"no parts here", content_type="multipart/form-data")
    problem(response, 422, "invalid-request-body", "Invalid request body", detail, path)


def test_a_wrong_method_is_405_with_allow(api):
    response = api.delete("/api/v1/main/plugins")
    problem(
        response, 405, "method-not-allowed", "Method not allowed", 'Method "DELETE" not allowed.',
        "/api/v1/main/plugins",
    )  # fmt: skip
    assert "GET" in response["Allow"]


def test_an_unsupported_media_type_is_415(api):
    response = api.post("/api/v1/notifications", "<a/>", content_type="application/xml")
    detail = 'Unsupported media type "application/xml" in request.'
    problem(response, 415, "unsupported-media-type", "Unsupported media type", detail, "/api/v1/notifications")


BODY_LIMIT = "the request body, uploaded files aside, is larger than the limit of 1024 bytes"
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("path", "body", "send"),
    [
        ("/api/v1/notifications", {"url": "x" * 2000}, {"format": "json"}),
        ("/api/v1/notifications", {"url": "x" * 2000}, {"format": "multipart"}),
        ("/api/v1/notifications", "url=" + "x" * 2000, {"content_type": FORM}),
        ("/api/v1/test/plain-form", {"url": "x" * 2000}, {"format": "multipart"}),  # Django's request.POST
        ("/api/v1/test/plain-form", "url=" + "x" * 2000, {"content_type": FORM}),
    ],
)
def test_a_body_past_the_limit_is_413_whoever_reads_it(api, settings, path, body, send):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    problem(api.post(path, body, **send), 413, "payload-too-large", "Payload too large", BODY_LIMIT, path)


def test_an_upload_past_the_limit_is_413(api, settings):
    settings.FLOWHUB_MAX_UPLOAD_BYTES = 1024
    path = "/api/v1/namespaces/acme/files?path=/big.bin"
    response = api.post(path, {"fileContent": SimpleUploadedFile("file", b"x" * 4096)}, format="multipart")
    detail = "an uploaded file is larger than the limit of 1024 bytes"
    problem(response, 413, "payload-too-large", "Payload too large", detail, path)


@pytest.mark.parametrize("path", ["/api/v1/no/such/route", "/api/v1/main/no/such/route", "/api/v1/other/flows"])
def test_an_unknown_route_is_404(api, path):
    problem(api.get(path + "?q=1"), 404, "not-found", "Not found", "no such resource or route", path + "?q=1")


@pytest.mark.parametrize("path", ["/api/v1/test/boom", "/api/v1/test/plain-boom"])
def test_an_unhandled_error_is_a_500_that_says_nothing_of_it(anonymous, path):
    anonymous.raise_request_exception = False
    response = anonymous.get(path)
    problem(response, 500, "internal-error", "Internal error", "an unexpected error occurred", path)


def test_a_csrf_failure_with_a_session_is_403_csrf_failed(owner):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post("/api/v1/notifications", {"url": "https://example.com"}, format="json")
    detail = "CSRF check failed: CSRF cookie not set."
    problem(response, 403, "csrf-failed", "CSRF check failed", detail, "/api/v1/notifications")


def test_a_host_not_allowed_is_400(api):
    response = api.get("/api/v1/flows/search", HTTP_HOST="evil.example.com")
    detail = "the Host header names no site this server serves"
    problem(response, 400, "invalid-host", "Invalid Host header", detail, "/api/v1/flows/search")
    assert "evil" not in response.content.decode()


def test_the_trace_id_is_the_callers_request_id_when_sane(api):
    response = api.get("/api/v1/no/such/route", HTTP_X_REQUEST_ID="abc-123")
    assert response.json()["traceId"] == response["X-Request-ID"] == "abc-123"
    response = api.get("/api/v1/no/such/route", HTTP_X_REQUEST_ID="not sane\n")
    assert response.json()["traceId"] == response["X-Request-ID"] != "not sane\n"


def test_other_paths_keep_djangos_html_pages(client, owner):
    assert client.get("/no/such/page")["Content-Type"].startswith("text/html")
    bad_host = client.get("/admin/login/", HTTP_HOST="evil.example.com")
    assert (bad_host.status_code, bad_host["Content-Type"][:9]) == (400, "text/html")
    client.raise_request_exception = False
    boom = client.get("/test/plain-boom")
    assert (boom.status_code, boom["Content-Type"][:9]) == (500, "text/html")
    assert b"kaboom" not in boom.content
    browser = APIClient(enforce_csrf_checks=True)
    refused = browser.post("/admin/login/", {"username": "owner", "password": PASSWORD})
    assert (refused.status_code, refused["Content-Type"][:9]) == (403, "text/html")
    assert b"CSRF verification failed" in refused.content


def traced_lines(caplog, response) -> list[str]:
    """The captured lines of the response's trace id, as the console handler prints them (its filter, its format)."""
    trace = response["X-Request-ID"]
    return [line for line in caplog.text.splitlines() if f" [{trace}] " in line]


@pytest.fixture
def console_format(caplog):
    caplog.handler.addFilter(RequestIdLogFilter())
    caplog.handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    caplog.set_level(logging.INFO)


@pytest.mark.parametrize("path", ["/api/v1/test/boom", "/api/v1/test/plain-boom"])
def test_the_request_line_and_the_exception_line_carry_the_trace_id(anonymous, caplog, console_format, path):
    anonymous.raise_request_exception = False
    response = anonymous.get(path + "?token=s3cret")
    exception, request = traced_lines(caplog, response)
    assert re.search(rf" ERROR django\.request \[\w+\] Internal Server Error: {path}$", exception)
    assert re.search(rf" INFO flowhub\.requests \[\w+\] GET {path} 500 \d+ms$", request)
    assert "RuntimeError: kaboom" in caplog.text  # the traceback, in the log only
    assert "s3cret" not in caplog.text


def test_a_4xx_is_logged_once_with_its_trace_id(api, caplog, console_format):
    response = api.get("/api/v1/no/such/route")
    [line] = traced_lines(caplog, response)
    assert re.search(r" INFO flowhub\.requests \[\w+\] GET /api/v1/no/such/route 404 \d+ms$", line)


def test_a_503_is_logged_with_its_trace_id_even_after_the_middleware(api, caplog, console_format):
    """Django logs a 5xx response that no exception produced once the middleware chain has returned."""
    response = api.get("/api/v1/test/database-down")
    problem(
        response, 503, "service-unavailable", "Service unavailable", "the database is unavailable; retry",
        "/api/v1/test/database-down",
    )  # fmt: skip
    assert response["Retry-After"] == "1"
    lines = traced_lines(caplog, response)
    assert [line.split("] ", 1)[1] for line in lines] == [
        "database unavailable: connection refused",
        f"GET /api/v1/test/database-down 503 {lines[1].rsplit(' ', 1)[1]}",
        "Service Unavailable: /api/v1/test/database-down",
    ]
    assert " [-] " not in caplog.text


def test_a_webhook_key_is_masked_in_the_request_log(anonymous, caplog):
    with caplog.at_level(logging.INFO, logger="flowhub.requests"):
        anonymous.post("/api/v1/main/executions/webhook/acme/hook/the-secret-key/sub/path", {}, format="json")
    assert [record.path for record in caplog.records if record.name == "flowhub.requests"] == [
        "/api/v1/main/executions/webhook/acme/hook/****/sub/path"
    ]
    assert "the-secret-key" not in caplog.text


def test_every_api_route_is_a_drf_view():
    """So every error on an API path goes through DRF's exception handler or Django's handlers: a plain
    Django view would answer a wrong method with an empty 405 of its own."""

    def views(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), getattr(pattern.callback, "cls", None)

    routes = views(get_resolver("flowhub.urls").url_patterns)
    api_views = [(route, view) for route, view in routes if route.startswith("api/")]
    assert len(api_views) > 50
    assert [route for route, view in api_views if not (view and issubclass(view, APIView))] == []
