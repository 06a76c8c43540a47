"""Sending delivery messages by name, so services need not import tasks."""

from __future__ import annotations

from datetime import timedelta

from flowhub.celery import app

DELIVER = "notifications.deliver"
MAX_COUNTDOWN = timedelta(minutes=1)
"""A longer delay waits for the sweep (the due time is in the database) rather than sit in a worker as a
delayed message."""


def enqueue_delivery(delivery_id: str, delay: timedelta = timedelta(0)) -> None:
    if delay <= MAX_COUNTDOWN:
        app.send_task(DELIVER, args=[delivery_id], countdown=delay.total_seconds() or None)
