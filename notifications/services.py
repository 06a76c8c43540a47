"""Notifications: writes, and the outbox rows (deliveries) written in the transaction of each event.

The secret signs every delivery; it is stored encrypted (flowhub.crypto) and never shown again, but
for its last characters. Left out at creation, one is generated and answered that once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from executions.models import Execution
from flowhub import crypto
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.ids import new_id
from flowhub.engine.namespaces import namespace_lineage, validate_namespace
from flowhub.engine.states import State
from flowhub.exceptions import Conflict, Invalid, NotFound

from .destinations import literal_problem
from .dispatch import enqueue_delivery
from .models import TEST_EVENT, Delivery, Event, Notification
from .payloads import execution_payload, test_payload
from .selectors import notification_get

URL_MAX = 2048
SECRET_MIN = 16
SECRET_MAX = 255
SECRET_HINT_LENGTH = 4
ENDING_EVENTS = {
    State.SUCCESS: Event.EXECUTION_SUCCEEDED,
    State.FAILED: Event.EXECUTION_FAILED,
    State.KILLED: Event.EXECUTION_KILLED,
    State.WARNING: Event.EXECUTION_WARNING,
}
"""The event of each final state that has one: CANCELLED and RETRIED (a flow retry took over) have none."""


@dataclass(frozen=True)
class NotificationSpec:
    """What a person sets of a notification; `secret` None keeps the current one (or generates one)."""

    url: str
    events: Sequence[str]
    namespaces: Sequence[str] = ()
    secret: str | None = None
    description: str = ""
    enabled: bool = True


def notification_problems(spec: NotificationSpec) -> list[ErrorDetail]:
    """Everything wrong with `spec`, each naming its field."""
    problems = []
    if url_problem := _url_problem(spec.url):
        problems.append(ErrorDetail("url", url_problem))
    problems += [
        ErrorDetail(f"namespaces[{index}]", problem)
        for index, namespace in enumerate(spec.namespaces)
        if (problem := validate_namespace(namespace))
    ]
    if not spec.events:
        problems.append(ErrorDetail("events", f"at least one of {', '.join(Event.values)}"))
    problems += [
        ErrorDetail(f"events[{index}]", f"'{event}' is not one of {', '.join(Event.values)}")
        for index, event in enumerate(spec.events)
        if event not in Event.values
    ]
    if spec.secret is not None and not SECRET_MIN <= len(spec.secret) <= SECRET_MAX:
        problems.append(ErrorDetail("secret", f"must be {SECRET_MIN} to {SECRET_MAX} characters"))
    return problems


def _url_problem(url: str) -> str | None:
    if len(url) > URL_MAX:
        return f"must be at most {URL_MAX} characters"
    if any(character.isspace() or ord(character) < 32 for character in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port out of range)
    except ValueError as exc:
        return f"is not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    return literal_problem(parts.hostname)


def notification_create(*, spec: NotificationSpec) -> tuple[Notification, str | None]:
    """The stored notification, and its secret when it was generated (the only time it is shown)."""
    _check(spec)
    generated = secrets.token_urlsafe(32) if spec.secret is None else None
    notification = Notification(**_fields(spec, spec.secret or generated))
    notification.save(force_insert=True)
    return notification, generated


def notification_update(*, notification_id: str, spec: NotificationSpec) -> Notification:
    """Replace what `spec` sets; its secret stays unless `spec` gives a new one."""
    _check(spec)
    notification = notification_get(notification_id=notification_id)
    for name, value in _fields(spec, spec.secret).items():
        setattr(notification, name, value)
    notification.save()
    return notification


def notification_delete(*, notification_id: str) -> None:
    """Delete it with its delivery log; its pending deliveries are not sent."""
    notification_get(notification_id=notification_id).delete()


def notification_test(*, notification_id: str) -> Delivery:
    """A `notification.test` delivery, sent and retried as any other."""
    notification = notification_get(notification_id=notification_id)
    now = timezone.now()
    delivery_id = new_id()
    payload = test_payload(delivery_id=delivery_id, event=TEST_EVENT, notification=notification, moment=now)
    with transaction.atomic():
        delivery = Delivery.objects.create(
            id=delivery_id, notification=notification, event=TEST_EVENT, payload=payload, next_attempt_at=now
        )
        transaction.on_commit(partial(enqueue_delivery, delivery.id))
    return delivery


def delivery_redeliver(*, notification: Notification, delivery_id: str) -> Delivery:
    """A new delivery of an ended one's event (delivered or given up), sent now with a fresh round of attempts:
    the same payload but for its own `id`, as the receiver tells deliveries apart by it (and X-Flowhub-Delivery).
    NotFound for a delivery not of `notification`; Conflict for one still being attempted."""
    original = Delivery.objects.filter(notification=notification, pk=delivery_id).first()
    if original is None:
        raise NotFound(f"notification '{notification.pk}' has no delivery '{delivery_id}'")
    if original.status == Delivery.Status.PENDING:
        raise Conflict(f"delivery '{delivery_id}' is still being attempted: wait for it to end")
    again = new_id()
    with transaction.atomic():
        delivery = Delivery.objects.create(
            id=again,
            notification=notification,
            event=original.event,
            execution_id=original.execution_id,
            namespace=original.namespace,
            payload={**original.payload, "id": again},
            next_attempt_at=timezone.now(),
        )
        transaction.on_commit(partial(enqueue_delivery, delivery.id))
    return delivery


def notification_secrets_reencrypt() -> tuple[int, list[str]]:
    """Encrypt every notification's secret again with the current key; how many were, and those no key opens."""
    return crypto.reencrypt_rows(Notification.objects.all(), "secret_ciphertext", lambda row: f"notification {row.pk}")


def deliveries_record(*, event: str, execution: Execution) -> list[Delivery]:
    """Call in the transaction of the event: one delivery per enabled notification subscribed to it, each
    sent once that transaction commits (and never if it rolls back)."""
    now = timezone.now()
    deliveries = []
    for notification in Notification.objects.filter(enabled=True).only("id", "namespaces", "events"):
        if _subscribed(notification, event, execution.namespace):
            delivery_id = new_id()
            payload = execution_payload(delivery_id=delivery_id, event=event, execution=execution, moment=now)
            deliveries.append(
                Delivery(
                    id=delivery_id,
                    notification=notification,
                    event=event,
                    execution_id=execution.id,
                    namespace=execution.namespace,
                    payload=payload,
                    next_attempt_at=now,
                )
            )
    Delivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        transaction.on_commit(partial(enqueue_delivery, delivery.id))
    return deliveries


def _subscribed(notification: Notification, event: str, namespace: str) -> bool:
    """A notification's namespaces are prefixes on the dot hierarchy: `acme` takes `acme.sales`, not `acmeother`."""
    if event not in notification.events:
        return False
    return not notification.namespaces or any(
        prefix in notification.namespaces for prefix in namespace_lineage(namespace)
    )


def _check(spec: NotificationSpec) -> None:
    if problems := notification_problems(spec):
        raise Invalid("invalid notification", problems)


def _fields(spec: NotificationSpec, secret: str | None) -> dict[str, object]:
    fields: dict[str, object] = {
        "url": spec.url,
        "namespaces": list(dict.fromkeys(spec.namespaces)),
        "events": list(dict.fromkeys(spec.events)),
        "description": spec.description,
        "enabled": spec.enabled,
    }
    if secret is not None:
        fields["secret_ciphertext"] = crypto.encrypt(secret)
        fields["secret_hint"] = secret[-SECRET_HINT_LENGTH:]
    return fields
