"""drf-spectacular hooks."""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension

TENANT_PREFIX = "/api/v1/main/"
TENANTLESS_PREFIX = "/api/v1/"


def document_tenant_paths_only(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Every API route is served twice (with and without the tenant); document it once, as Kestra's spec does."""
    return [
        endpoint
        for endpoint in endpoints
        if endpoint[0].startswith(TENANT_PREFIX) or not endpoint[0].startswith(TENANTLESS_PREFIX)
    ]


class CachedBasicScheme(OpenApiAuthenticationExtension):
    """Documents flowhub's basic authentication as the standard `basicAuth` scheme."""

    target_class = "flowhub.api.authentication.CachedBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "basic"}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents API tokens and session tokens (`Authorization: Bearer fh_…`) as the `bearerAuth` scheme."""

    target_class = "flowhub.api.authentication.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "fh_…"}


class FlowhubSessionScheme(SessionScheme):
    """Documents flowhub's session authentication as DRF's (`cookieAuth`): only its CSRF failure differs."""

    target_class = "flowhub.api.authentication.SessionAuthentication"
