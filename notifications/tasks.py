"""Celery entry points of notifications, on the `executor` queue (the default): thin calls of services."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import delivery
from .dispatch import DELIVER


@shared_task(name=DELIVER, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def deliver(delivery_id: str) -> None:
    delivery.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="notifications.sweep")
def sweep() -> int:
    return delivery.deliveries_sweep()


@shared_task(name="notifications.purge")
def purge() -> int:
    return delivery.deliveries_purge()
