"""The JSON body of a delivery: `{id, event, timestamp, data}`, fixed when the event happens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from executions.models import Execution
from flowhub.timestamps import iso_utc

from .models import Notification


def execution_payload(*, delivery_id: str, event: str, execution: Execution, moment: datetime) -> dict[str, Any]:
    return _envelope(delivery_id, event, moment, {"execution": execution_summary(execution)})


def test_payload(*, delivery_id: str, event: str, notification: Notification, moment: datetime) -> dict[str, Any]:
    return _envelope(delivery_id, event, moment, {"notification": {"id": notification.id}})


def execution_summary(execution: Execution) -> dict[str, Any]:
    """What a receiver needs to act on an execution, in the execution API's names; nulls left out."""
    summary = {
        "id": execution.id,
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
        "state": execution.state,
        "startDate": execution.start_date,
        "endDate": execution.end_date,
        "duration": execution.duration_seconds if execution.is_terminal else None,
        "labels": execution.labels,
        "url": _execution_url(execution.id),
    }
    return {key: value for key, value in summary.items() if value is not None}


def _envelope(delivery_id: str, event: str, moment: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": delivery_id, "event": event, "timestamp": iso_utc(moment), "data": data}


def _execution_url(execution_id: str) -> str | None:
    if not settings.FLOWHUB_PUBLIC_URL:
        return None
    return settings.FLOWHUB_PUBLIC_URL + reverse("admin:executions_execution_change", args=[execution_id])
