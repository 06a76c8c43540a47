"""`GET /metrics`: Prometheus text (or OpenMetrics, when asked for) from the collectors named in
FLOWHUB_METRICS_COLLECTORS. They read the database at each scrape, so any web process answers for all.

It takes the API's authentication (basic or a token: Prometheus' `basic_auth` or `authorization`) unless
FLOWHUB_METRICS_PUBLIC is set.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from .streaming import AnyAcceptNegotiation


@cache
def registry() -> CollectorRegistry:
    collectors = CollectorRegistry(auto_describe=False)
    for path in settings.FLOWHUB_METRICS_COLLECTORS:
        collectors.register(import_string(path)())
    return collectors


class MetricsApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    def get_authenticators(self) -> list[Any]:
        return [] if settings.FLOWHUB_METRICS_PUBLIC else super().get_authenticators()

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if settings.FLOWHUB_METRICS_PUBLIC else super().get_permissions()

    @extend_schema(
        operation_id="getMetrics",
        summary="Prometheus metrics of executions, task runs, workers and notification deliveries",
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="Prometheus text format 0.0.4"),
            (200, "application/openmetrics-text"): OpenApiResponse(OpenApiTypes.STR, description="OpenMetrics"),
        },
        tags=["Health"],
    )
    def get(self, request: Request) -> HttpResponse:
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return HttpResponse(encode(registry()), content_type=content_type)
