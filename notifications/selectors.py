"""Reads of notifications and their delivery log, with what their serializers touch prefetched."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, QuerySet

from access.roles import Access, Role
from flowhub.exceptions import NotFound

from .models import Delivery, Notification


def notification_reachable(access: Access, namespaces: list[str]) -> bool:
    """Whether the caller manages a notification of these namespace prefixes: an editor of each (of every
    namespace when there are none, which means all)."""
    if not namespaces:
        return access.everywhere(Role.EDITOR)
    return all(access.allows(prefix, Role.EDITOR) for prefix in namespaces)


def notification_list(*, access: Access) -> QuerySet[Notification]:
    """The notifications the caller manages."""
    reachable = [
        pk
        for pk, namespaces in Notification.objects.values_list("pk", "namespaces")
        if notification_reachable(access, namespaces)
    ]
    return Notification.objects.filter(pk__in=reachable)


def notification_get(*, notification_id: str, access: Access | None = None) -> Notification:
    """The notification; NotFound too when, given the caller's `access`, it is not theirs to manage."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or (access is not None and not notification_reachable(access, notification.namespaces)):
        raise NotFound(f"notification '{notification_id}' does not exist")
    return notification


def delivery_list(
    *, notification: Notification, status: str | None = None, execution_id: str | None = None
) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.filter(notification=notification).prefetch_related("attempt_log")
    if status is not None:
        deliveries = deliveries.filter(status=status)
    if execution_id is not None:
        deliveries = deliveries.filter(execution_id=execution_id)
    return deliveries


def delivery_counts() -> dict[str, int]:
    """Deliveries by status."""
    return dict(Delivery.objects.order_by().values_list("status").annotate(count=Count("*")))


def oldest_pending_delivery() -> datetime | None:
    """When the oldest delivery still pending was created."""
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    return pending.aggregate(oldest=Min("created_at"))["oldest"]
