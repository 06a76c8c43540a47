"""Celery entry points of the audit log."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="audit.purge")
def purge() -> int:
    return services.audit_purge()
