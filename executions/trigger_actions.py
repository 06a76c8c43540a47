"""What people (API, admin) and `stopAfter` do to a trigger's row: disable or enable it, unlock it, restart it,
reset it.
Backfills are executions/trigger_backfills.py's."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.exceptions import Conflict
from namespaces.flows import parsed_revision

from .models import Execution, Trigger
from .trigger_rows import trigger_row_create
from .trigger_selectors import trigger_get, trigger_locked


def trigger_set_disabled(*, namespace: str, flow_id: str, trigger_id: str, disabled: bool) -> Trigger:
    """Disable or enable one trigger of a flow (NotFound if the flow has no such trigger)."""
    trigger = trigger_get(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
    triggers_set_disabled(triggers=Trigger.objects.filter(pk=trigger.pk), disabled=disabled)
    trigger.refresh_from_db()
    return trigger


def triggers_set_disabled(*, triggers: QuerySet[Trigger], disabled: bool) -> int:
    """Disable or enable every trigger of `triggers`; how many there were. A disabled Schedule keeps
    its next date moving on, so enabling it again fires from the next date, not the missed ones."""
    action = AuditAction.TRIGGER_DISABLE if disabled else AuditAction.TRIGGER_ENABLE
    with transaction.atomic():
        for namespace, flow_id, trigger_id in triggers.values_list("namespace", "flow_id", "trigger_id"):
            audit_record(action=action, namespace=namespace, target=f"{flow_id}.{trigger_id}")
        return triggers.update(disabled=disabled, updated_at=timezone.now())


def triggers_matching(refs: Iterable[tuple[str, str, str]]) -> QuerySet[Trigger]:
    """The rows of the `(namespace, flow id, trigger id)` given; those that do not exist are left out."""
    wanted = Q(pk__in=[])
    for namespace, flow_id, trigger_id in refs:
        wanted |= Q(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
    return Trigger.objects.filter(wanted)


def trigger_unlock(*, namespace: str, flow_id: str, trigger_id: str) -> Trigger:
    """Let a Schedule fire again while the execution it started still runs (Conflict if none runs)."""
    with transaction.atomic():
        trigger = trigger_get(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, for_update=True)
        if not trigger_locked(trigger):
            raise Conflict(f"trigger '{trigger}' is not locked: no execution it started is running")
        trigger.last_execution_id = ""
        trigger.save(update_fields=["last_execution_id", "updated_at"])
        _audit(AuditAction.TRIGGER_UNLOCK, trigger)
    return trigger


def triggers_unlock(*, triggers: QuerySet[Trigger]) -> int:
    """Unlock each of `triggers` that is locked, as `trigger_unlock` does; how many were."""
    unlocked = 0
    for namespace, flow_id, trigger_id in triggers.exclude(last_execution_id="").values_list(
        "namespace", "flow_id", "trigger_id"
    ):
        try:
            trigger_unlock(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
        except Conflict:
            continue  # its execution has ended: a bulk unlock leaves it out, as Kestra's does
        unlocked += 1
    return unlocked


def trigger_restart(*, namespace: str, flow_id: str, trigger_id: str) -> Trigger:
    """Unlock a trigger and have the scheduler compute its next date again, from the date it last fired for."""
    with transaction.atomic():
        trigger = trigger_get(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, for_update=True)
        trigger.last_execution_id = ""
        trigger.next_date = None
        trigger.save(update_fields=["last_execution_id", "next_date", "updated_at"])
        _audit(AuditAction.TRIGGER_RESTART, trigger)
    return trigger


def trigger_reset(*, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Kestra's trigger delete: forget one trigger's state (NotFound if the flow has no such trigger)."""
    trigger_get(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
    triggers_reset(triggers=Trigger.objects.filter(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id))


def triggers_reset(*, triggers: QuerySet[Trigger]) -> int:
    """Forget the state of each of `triggers` (its dates, lock, backfill, disabling); how many there were.

    The trigger stays in its flow: its row is replaced by a new trigger's, so a Schedule fires next at its first
    date after the next tick, as if just saved. The rows are locked first, so that a scheduler tick holding one
    finishes before (the tick moves on only the row it read) and none fires a row being replaced.
    """
    with transaction.atomic():
        rows = list(Trigger.objects.select_for_update().filter(pk__in=triggers.values("pk")))
        for row in rows:
            row.delete()
            trigger_row_create(namespace=row.namespace, flow_id=row.flow_id, trigger_id=row.trigger_id, type=row.type)
            _audit(AuditAction.TRIGGER_RESET, row)
    return len(rows)


def _audit(action: AuditAction, trigger: Trigger) -> None:
    audit_record(action=action, namespace=trigger.namespace, target=f"{trigger.flow_id}.{trigger.trigger_id}")


def trigger_stop_after(execution: Execution) -> None:
    """Disable the trigger that started `execution` if it ended in one of that trigger's `stopAfter` states."""
    started_by = execution.trigger or {}
    if "id" not in started_by:
        return
    for definition in parsed_revision(execution.flow_revision).triggers:
        same_type = started_by.get("type") in (definition.TYPE, *definition.ALIASES)
        if definition.id == started_by["id"] and same_type and execution.state in definition.stopAfter:
            rows = Trigger.objects.filter(
                namespace=execution.namespace, flow_id=execution.flow_id, trigger_id=definition.id
            )
            triggers_set_disabled(triggers=rows, disabled=True)
