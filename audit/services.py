"""Writing the audit log: one row per recorded action, and the purge of rows past the retention period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowhub.api.middleware import current_request_id

from .actions import AuditAction
from .actors import Via, acting_as, current_actor
from .models import AuditEntry

MAX_DETAIL_TEXT = 200


def audit_record(*, action: str, namespace: str = "", target: str = "", **detail: Any) -> AuditEntry | None:
    """Record that the current actor did `action` to `target` in `namespace`, in the caller's transaction (so a
    write that rolls back leaves no row); None, recording nothing, when nobody in particular acts (see actors.py).

    `detail`: a few facts as JSON scalars (a revision, a count, a state); text is cut at MAX_DETAIL_TEXT. Never a
    value: no secret, KV value, token secret or file content. A structure is refused (TypeError), so that a
    value cannot slip in whole."""
    actor = current_actor()
    if actor is None:
        return None
    user, token, request_id = actor.user, actor.token, current_request_id()
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        token_id=token.pk if token is not None else "",
        token_prefix=token.prefix if token is not None else "",
        via=actor.via,
        action=AuditAction(action).value,
        namespace=namespace,
        target=target[: AuditEntry._meta.get_field("target").max_length],
        detail={key: _scalar(key, value) for key, value in detail.items()},
        request_id="" if request_id == "-" else request_id,
        ip=actor.ip,
    )


def audit_purge(*, now: datetime | None = None) -> int:
    """Delete the rows older than FLOWHUB_AUDIT_RETENTION_DAYS (0: keep them all); how many. The purge itself
    is recorded, so that a gap in the log is explained by the log."""
    days = settings.FLOWHUB_AUDIT_RETENTION_DAYS
    if days == 0:
        return 0
    before = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        deleted, _ = AuditEntry.objects.filter(at__lt=before).delete()
        if deleted:
            with acting_as(None, via=Via.SYSTEM):
                audit_record(action=AuditAction.AUDIT_PURGE, before=before.isoformat(), count=deleted)
    return deleted


def _scalar(key: str, value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_DETAIL_TEXT]
    if value is None or isinstance(value, bool | int | float):
        return value
    raise TypeError(f"audit detail '{key}' must be a JSON scalar, not {type(value).__name__}")
