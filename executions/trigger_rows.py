"""Trigger rows follow the triggers of each flow's current revision (namespaces' `flow_changed`)."""

from __future__ import annotations

from typing import Any

from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.tasks.triggers import Schedule

from .models import BACKFILL_CLEARED, Trigger


def triggers_follow_flow(*, namespace: str, flow_id: str, parsed: ParsedFlow | None, **_: Any) -> None:
    """Keep one row per trigger of the new revision (none once the flow is deleted).

    A kept row keeps its state, but a Schedule's next date is computed again: its cron may have changed; a
    trigger that is no longer a Schedule loses its backfill.
    """
    rows = Trigger.objects.filter(namespace=namespace, flow_id=flow_id)
    wanted = {trigger.id: trigger.TYPE for trigger in parsed.triggers} if parsed else {}
    rows.exclude(trigger_id__in=wanted).delete()
    existing = set(rows.values_list("trigger_id", flat=True))
    for trigger_id, trigger_type in wanted.items():
        if trigger_id in existing:
            backfill = {} if trigger_type == Schedule.TYPE else BACKFILL_CLEARED
            rows.filter(trigger_id=trigger_id).update(type=trigger_type, next_date=None, **backfill)
        else:
            trigger_row_create(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, type=trigger_type)


def trigger_row_create(*, namespace: str, flow_id: str, trigger_id: str, type: str) -> Trigger:
    """The row of a new trigger: enabled, never fired, with no backfill; the scheduler works out a Schedule's
    next date from the first tick on."""
    return Trigger.objects.create(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, type=type)
