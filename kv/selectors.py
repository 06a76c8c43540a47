"""Reads of the KV store. Expired entries are invisible at once, before the scheduler purges them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from access.roles import Access, Role
from access.selectors import namespace_q
from flowhub.engine.namespaces import namespace_lineage
from flowhub.exceptions import Gone, NotFound

from .models import KVEntry


def kv_get(*, namespace: str, key: str) -> KVEntry:
    """The entry of `key`: NotFound when there is none, Gone when it has expired."""
    entry = KVEntry.objects.filter(namespace_id=namespace, key=key).first()
    if entry is None:
        raise NotFound(f"No value found for key '{key}' in namespace '{namespace}'")
    if entry.is_expired(timezone.now()):
        raise Gone(f"The value of key '{key}' in namespace '{namespace}' has expired")
    return entry


def kv_list(*, namespace: str) -> QuerySet[KVEntry]:
    return KVEntry.objects.live(timezone.now()).filter(namespace_id=namespace).order_by("key")


def kv_search(
    *, access: Access, namespaces: list[str] | None = None, prefix: str | None = None, text: str | None = None
) -> QuerySet[KVEntry]:
    """Live entries of the namespaces the caller sees: in `namespaces`, under the namespace `prefix`, with `text`
    in the key."""
    entries = KVEntry.objects.live(timezone.now()).filter(namespace_q(access, Role.VIEWER, "namespace__id"))
    if namespaces:
        entries = entries.filter(namespace_id__in=namespaces)
    if prefix:
        entries = entries.filter(Q(namespace_id=prefix) | Q(namespace__id__startswith=f"{prefix}."))
    if text:
        entries = entries.filter(key__icontains=text)
    return entries.order_by("namespace", "key")


def kv_inherited(*, access: Access, namespace: str) -> list[KVEntry]:
    """The live entries of `namespace`'s parents the caller sees, nearest parent first; a nearer parent's key hides
    a farther one's."""
    parents = [parent for parent in namespace_lineage(namespace)[1:] if access.allows(parent, Role.VIEWER)]
    entries = KVEntry.objects.live(timezone.now()).filter(namespace_id__in=parents).order_by("key")
    nearest: dict[str, KVEntry] = {}
    for entry in sorted(entries, key=lambda entry: parents.index(entry.namespace_id)):
        nearest.setdefault(entry.key, entry)
    return list(nearest.values())


def kv_value(*, namespace: str, key: str, inherit: bool, error_on_missing: bool) -> Any:
    """What `kv('key')` gives a template: the live value in `namespace` or, with `inherit`, its nearest parent.

    A missing (or expired) key is an error unless `error_on_missing` is false: then it is None.
    """
    lineage = namespace_lineage(namespace) if inherit else [namespace]
    found = {
        entry.namespace_id: entry
        for entry in KVEntry.objects.live(timezone.now()).filter(namespace_id__in=lineage, key=key)
    }
    for candidate in lineage:
        if candidate in found:
            return found[candidate].value
    if error_on_missing:
        where = f"namespace '{namespace}'" + (" or its parents" if inherit else "")
        raise NotFound(f"No value found for key '{key}' in {where}")
    return None
