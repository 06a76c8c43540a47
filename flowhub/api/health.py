"""`GET /health`: is this process able to reach its database, broker and storage?"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub import __version__
from flowhub.celery import app as celery_app

STARTED = time.monotonic()
PROBE_TIMEOUT_SECONDS = 3


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_SECONDS)


def _storage() -> None:
    default_storage.exists("health-probe")


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "broker": _broker, "storage": _storage}


def _run(check: Callable[[], None]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # a health probe reports failures, it never raises them
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "up", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


class HealthApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []  # load balancers and container checks poll it; never refuse them

    @extend_schema(
        operation_id="getHealth",
        summary="Liveness and dependency checks; 503 when a dependency is down",
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(["up", "down"]),
                    "version": serializers.CharField(),
                    "uptime_seconds": serializers.FloatField(),
                    "checks": serializers.DictField(child=serializers.DictField()),
                },
            )
        },
        tags=["Health"],
    )
    def get(self, request: Request) -> Response:
        checks = {name: _run(check) for name, check in CHECKS.items()}
        healthy = all(result["status"] == "up" for result in checks.values())
        body = {
            "status": "up" if healthy else "down",
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - STARTED, 3),
            "checks": checks,
        }
        return Response(body, status=200 if healthy else 503)
