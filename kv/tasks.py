"""Celery entry points of the KV store."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="kv.purge_expired")
def purge_expired() -> int:
    return services.kv_purge_expired()
