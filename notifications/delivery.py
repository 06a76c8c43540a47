"""Sending deliveries: attempts, retries with exponential backoff, the sweep and the purge.

Before its POST, an attempt claims its delivery by compare-and-set on the attempts counted in the
database, holding it for `claim_lease()`: two messages for one delivery (a broker's redelivery, the
sweep's beside a retry's own) never POST it at the same time. A claim that outlives its lease means
the worker making the attempt stopped; the sweep sends the delivery again and the log says so.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from flowhub import __version__, crypto

from .dispatch import enqueue_delivery
from .models import Delivery, DeliveryAttempt
from .sending import Outcome, post
from .signing import signature

logger = logging.getLogger(__name__)
SWEEP_GRACE = timedelta(seconds=5)
"""How late a due delivery's own message may be before the sweep sends another."""
SWEEP_BATCH = 500
LOST_ATTEMPT = "no outcome recorded: the worker making this attempt stopped before the answer came"


def claim_lease() -> timedelta:
    """Longer than one POST may take: its connect, write and read each wait the timeout at most."""
    return timedelta(seconds=4 * settings.FLOWHUB_NOTIFICATION_TIMEOUT_SECONDS + 30)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base * 2^(attempts - 1), capped."""
    seconds = settings.FLOWHUB_NOTIFICATION_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 32)
    return timedelta(seconds=min(seconds, settings.FLOWHUB_NOTIFICATION_RETRY_MAX_SECONDS))


def delivery_attempt(*, delivery_id: str) -> DeliveryAttempt | None:
    """Make the next attempt of a due delivery and log it; None when the delivery is not due (ended, waiting
    for its next attempt, its notification disabled) or another attempt holds it."""
    claimed = _claim(delivery_id)
    if claimed is None:
        return None
    delivery, number = claimed
    started_at = timezone.now()
    outcome = _send(delivery, number)
    return _record(delivery, number, started_at, outcome)


def _due(now: datetime) -> QuerySet[Delivery]:
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return Delivery.objects.filter(
        unclaimed, status=Delivery.Status.PENDING, next_attempt_at__lte=now, notification__enabled=True
    )


def _claim(delivery_id: str) -> tuple[Delivery, int] | None:
    now = timezone.now()
    delivery = _due(now).select_related("notification").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    number = delivery.attempts + 1
    held = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts)
    if not held.update(attempts=number, claimed_until=now + claim_lease()):
        return None  # another attempt claimed it first
    if delivery.claimed_until is not None:
        _log_lost_attempt(delivery, now)
    return delivery, number


def _log_lost_attempt(delivery: Delivery, now: datetime) -> None:
    assert delivery.claimed_until is not None
    DeliveryAttempt.objects.get_or_create(
        delivery=delivery,
        number=delivery.attempts,
        defaults={"started_at": delivery.claimed_until - claim_lease(), "duration_ms": 0, "error": LOST_ATTEMPT},
    )


def _send(delivery: Delivery, number: int) -> Outcome:
    try:
        secret = crypto.decrypt(delivery.notification.secret_ciphertext)
    except crypto.UndecryptableError:
        return Outcome(None, "the notification's secret opens with no configured key: set a new secret", "", 0)
    timestamp = int(time.time())
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"flowhub/{__version__}",
        "X-Flowhub-Event": delivery.event,
        "X-Flowhub-Delivery": delivery.id,
        "X-Flowhub-Attempt": str(number),
        "X-Flowhub-Timestamp": str(timestamp),
        "X-Flowhub-Signature": signature(secret=secret, timestamp=timestamp, body=body),
    }
    return post(delivery.notification.url, body, headers)


def _record(delivery: Delivery, number: int, started_at: datetime, outcome: Outcome) -> DeliveryAttempt:
    """Log the attempt, then end the delivery or set its next attempt, if the claim is still ours."""
    now = timezone.now()
    with transaction.atomic():
        attempt, _ = DeliveryAttempt.objects.update_or_create(
            delivery=delivery,
            number=number,
            defaults={
                "started_at": started_at,
                "duration_ms": outcome.duration_ms,
                "status_code": outcome.status_code,
                "error": outcome.error,
                "response": outcome.response,
            },
        )
        ours = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING, attempts=number)
        if outcome.delivered or number >= settings.FLOWHUB_NOTIFICATION_MAX_ATTEMPTS:
            status = Delivery.Status.DELIVERED if outcome.delivered else Delivery.Status.FAILED
            ours.update(status=status, ended_at=now, claimed_until=None, next_attempt_at=None)
        else:
            delay = retry_delay(number)
            if ours.update(next_attempt_at=now + delay, claimed_until=None):
                transaction.on_commit(partial(enqueue_delivery, delivery.id, delay))
    if not outcome.delivered:
        logger.warning(
            "delivery %s, attempt %d to %s: %s", delivery.id, number, delivery.notification.url, outcome.error
        )
    return attempt


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Send again the due deliveries nobody attempts: a long retry delay travels as no message, and a
    message may be lost. How many were sent."""
    now = now or timezone.now()
    due = _due(now).filter(next_attempt_at__lte=now - SWEEP_GRACE).order_by("next_attempt_at")
    delivery_ids = list(due.values_list("id", flat=True)[:SWEEP_BATCH])
    for delivery_id in delivery_ids:
        enqueue_delivery(delivery_id)
    return len(delivery_ids)


def deliveries_purge(*, now: datetime | None = None) -> int:
    """Delete the deliveries that ended more than FLOWHUB_NOTIFICATION_LOG_DAYS ago; how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.FLOWHUB_NOTIFICATION_LOG_DAYS)
    ended = Delivery.objects.filter(status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED], ended_at__lt=cutoff)
    _, deleted = ended.delete()
    return deleted.get(Delivery._meta.label, 0)
