"""drf-spectacular hooks."""

from __future__ import annotations

from typing import Any

TENANT_PREFIX = "/api/v1/main/"
TENANTLESS_PREFIX = "/api/v1/"


def document_tenant_paths_only(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Every API route is served twice (with and without the tenant); document it once, as Kestra's spec does."""
    return [
        endpoint
        for endpoint in endpoints
        if endpoint[0].startswith(TENANT_PREFIX) or not endpoint[0].startswith(TENANTLESS_PREFIX)
    ]
