"""Backfills of Schedule triggers, as Kestra starts them (`PUT /triggers` with a `backfill`): the scheduler fires
each date from the start to the end besides the regular ones (executions/schedules.py), until it is past the
end; people pause, unpause and delete them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.ids import new_id
from flowhub.engine.schedule import iso_seconds
from flowhub.engine.tasks.triggers import Schedule
from flowhub.exceptions import Conflict, Invalid

from .models import BACKFILL_CLEARED, Trigger
from .trigger_selectors import trigger_get


class BackfillChange(StrEnum):
    PAUSE = "pause"
    UNPAUSE = "unpause"
    DELETE = "delete"


_CHANGES: dict[BackfillChange, tuple[AuditAction, dict[str, object]]] = {
    BackfillChange.PAUSE: (AuditAction.TRIGGER_BACKFILL_PAUSE, {"backfill_paused": True}),
    BackfillChange.UNPAUSE: (AuditAction.TRIGGER_BACKFILL_UNPAUSE, {"backfill_paused": False}),
    BackfillChange.DELETE: (AuditAction.TRIGGER_BACKFILL_DELETE, BACKFILL_CLEARED),
}


def trigger_backfill_start(
    *,
    namespace: str,
    flow_id: str,
    trigger_id: str,
    start: datetime,
    end: datetime | None = None,
    inputs: dict[str, Any] | None = None,
    labels: list[dict[str, str]] | None = None,
) -> Trigger:
    """Backfill a Schedule from `start` to `end` (now, by default), replacing the backfill it runs, if any; its
    executions get `inputs` over the trigger's, and `labels` after the trigger's. NotFound for an unknown trigger,
    Invalid for one that is not a Schedule or an end before the start."""
    with transaction.atomic():
        trigger = trigger_get(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, for_update=True)
        if trigger.type != Schedule.TYPE:
            detail = f"trigger '{trigger_id}' is a {trigger.type}: only a Schedule trigger can be backfilled"
            raise Invalid(detail, [ErrorDetail("triggerId", detail)])
        if end is None:
            end = timezone.now()
            if start > end:
                raise Invalid("invalid backfill", [ErrorDetail("backfill.start", "must not be in the future")])
        elif start > end:
            raise Invalid("invalid backfill", [ErrorDetail("backfill.end", "must not be before the start")])
        backfill = {
            "backfill_id": new_id(),
            "backfill_start": start,
            "backfill_end": end,
            "backfill_current_date": start,
            "backfill_paused": False,
            "backfill_inputs": inputs,
            "backfill_labels": labels,
            "backfill_previous_next_date": trigger.next_date,
        }
        Trigger.objects.filter(pk=trigger.pk).update(**backfill, updated_at=timezone.now())
        audit_record(
            action=AuditAction.TRIGGER_BACKFILL,
            namespace=namespace,
            target=f"{flow_id}.{trigger_id}",
            start=iso_seconds(start),
            end=iso_seconds(end),
        )
    trigger.refresh_from_db()
    return trigger


def trigger_backfill_change(*, namespace: str, flow_id: str, trigger_id: str, change: BackfillChange) -> Trigger:
    """Pause, unpause or delete the backfill of one trigger: NotFound for an unknown trigger, Conflict for one
    that runs no backfill."""
    trigger = trigger_get(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
    if not triggers_backfill_change(triggers=Trigger.objects.filter(pk=trigger.pk), change=change):
        raise Conflict(f"trigger '{trigger}' runs no backfill")
    trigger.refresh_from_db()
    return trigger


def triggers_backfill_change(*, triggers: QuerySet[Trigger], change: BackfillChange) -> int:
    """Pause, unpause or delete the backfill of each of `triggers` that runs one; how many did. Pausing keeps the
    backfill where it stands; deleting ends it, the executions it started staying as they are."""
    action, fields = _CHANGES[change]
    with transaction.atomic():
        # Locked in one order, as the scheduler might hold one of them.
        rows = list(
            Trigger.objects.select_for_update()
            .filter(pk__in=triggers.values("pk"))
            .exclude(backfill_id="")
            .order_by("pk")
            .values_list("pk", "namespace", "flow_id", "trigger_id")
        )
        for _, namespace, flow_id, trigger_id in rows:
            audit_record(action=action, namespace=namespace, target=f"{flow_id}.{trigger_id}")
        return Trigger.objects.filter(pk__in=[pk for pk, *_ in rows]).update(**fields, updated_at=timezone.now())
