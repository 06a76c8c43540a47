"""Cross-origin calls (django-cors-headers): only the origins FLOWHUB_CORS_ALLOWED_ORIGINS lists, only the API."""

import pytest
from django.conf import settings

ORIGIN = "https://app.example.com"
EXPOSED = {
    "X-Request-ID", "X-Total-Count", "Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
    "Retry-After",
}  # fmt: skip


@pytest.fixture
def allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]


def preflight(client, origin: str, path: str = "/api/v1/executions/acme/hello"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key, last-event-id",
    )


def cors_headers(response) -> set[str]:
    return {name for name in response.headers if name.lower().startswith("access-control-")}


def header_set(value: str) -> set[str]:
    return {item.strip() for item in value.split(",")}


def test_a_preflight_from_an_allowed_origin_is_answered(anonymous, allowed):
    response = preflight(anonymous, ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in header_set(response["Access-Control-Allow-Methods"])
    wanted = {"authorization", "content-type", "idempotency-key", "last-event-id", "x-request-id"}
    assert wanted <= header_set(response["Access-Control-Allow-Headers"])
    assert "Access-Control-Allow-Credentials" not in response  # FLOWHUB_CORS_ALLOW_CREDENTIALS is off by default
    assert response["X-Request-ID"]


def test_a_preflight_from_another_origin_gets_no_cors_headers(anonymous, allowed):
    assert cors_headers(preflight(anonymous, "https://evil.example.com")) == set()


def test_no_origin_is_allowed_by_default(anonymous):
    assert settings.CORS_ALLOWED_ORIGINS == []
    assert cors_headers(preflight(anonymous, ORIGIN)) == set()


def test_an_allowed_origin_may_read_the_api_headers(api, allowed):
    response = api.get("/api/v1/flows/search", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert header_set(response["Access-Control-Expose-Headers"]) == EXPOSED


def test_credentials_are_allowed_only_when_configured(anonymous, allowed, settings):
    settings.CORS_ALLOW_CREDENTIALS = True
    assert preflight(anonymous, ORIGIN)["Access-Control-Allow-Credentials"] == "true"


def test_the_admin_is_not_open_to_other_origins(anonymous, allowed):
    assert cors_headers(preflight(anonymous, ORIGIN, "/admin/login/")) == set()
