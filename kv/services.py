"""Writes of the KV store.

A key is unique in its namespace by a database constraint, so writers racing on one key end with
one of their values, never two rows or a torn one: an overwrite updates the row or, when there is
none, inserts it and falls back to the update if another writer inserted first; a write with
`overwrite=False` is an insert that the constraint refuses when the key exists.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.kv import KVType, key_problem
from flowhub.exceptions import Conflict, Invalid, TooLarge
from namespaces.services import namespace_ensure

from .models import KVEntry


def kv_set(
    *,
    namespace: str,
    key: str,
    kv_type: KVType,
    value: Any,
    ttl: timedelta | None = None,
    description: str | None = None,
    overwrite: bool = True,
) -> KVEntry:
    """Store `value` under `key`; with `overwrite=False` an existing, unexpired key is a Conflict."""
    if problem := key_problem(key):
        raise Invalid(f"invalid key '{key}'", [ErrorDetail("key", problem)])
    size = len(json.dumps(value).encode())
    if size > (limit := settings.FLOWHUB_KV_MAX_VALUE_BYTES):
        raise TooLarge(f"the value is {size} bytes, more than the limit of {limit} bytes")
    now = timezone.now()
    fields = {
        "type": kv_type.value,
        "value": value,
        "size": size,
        "description": description or "",
        "updated_at": now,
        "expires_at": now + ttl if ttl is not None else None,
    }
    namespace_ensure(namespace=namespace)
    with transaction.atomic():
        entry = _stored(namespace, key, fields, overwrite, now)
        audit_record(action=AuditAction.KV_SET, namespace=namespace, target=key, revision=entry.revision, type=kv_type)
    return entry


def _stored(namespace: str, key: str, fields: dict[str, Any], overwrite: bool, now: datetime) -> KVEntry:
    entries = KVEntry.objects.filter(namespace_id=namespace, key=key)
    if overwrite and entries.update(**fields, revision=F("revision") + 1):
        return entries.get()
    try:
        with transaction.atomic():
            return KVEntry.objects.create(namespace_id=namespace, key=key, created_at=now, **fields)
    except IntegrityError:
        pass  # the key exists: another writer created it since, or it is not to be overwritten
    replaceable = entries if overwrite else entries.expired(now)
    if not replaceable.update(**fields, created_at=now, revision=F("revision") + 1):
        raise Conflict(f"key '{key}' already exists in namespace '{namespace}'")
    return entries.get()


def kv_delete(*, namespace: str, key: str) -> bool:
    """Delete `key`; whether it was there (an expired entry was not)."""
    return bool(kv_delete_many(namespace=namespace, keys=[key]))


def kv_delete_many(*, namespace: str, keys: list[str]) -> list[str]:
    """Delete each of `keys`; the ones that were there, in the order given."""
    entries = KVEntry.objects.filter(namespace_id=namespace, key__in=keys)
    with transaction.atomic():
        found = set(entries.live(timezone.now()).values_list("key", flat=True))
        entries.delete()
        deleted = [key for key in dict.fromkeys(keys) if key in found]
        for key in deleted:
            audit_record(action=AuditAction.KV_DELETE, namespace=namespace, target=key)
    return deleted


def kv_purge_expired(*, now: datetime | None = None) -> int:
    """Delete every expired entry (reads already treat them as gone); how many."""
    deleted, _ = KVEntry.objects.expired(now or timezone.now()).delete()
    return deleted
