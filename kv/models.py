from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q

from flowhub.engine.kv import KVType


class KVEntryQuerySet(models.QuerySet["KVEntry"]):
    def live(self, now: datetime) -> KVEntryQuerySet:
        """Entries that have not expired at `now`: an expired entry reads as gone before it is purged."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))

    def expired(self, now: datetime) -> KVEntryQuerySet:
        return self.filter(expires_at__lte=now)


class KVEntry(models.Model):
    """One typed value of a namespace's KV store; it may expire."""

    Type = models.TextChoices("Type", [(kv_type.value, kv_type.value) for kv_type in KVType])

    namespace = models.ForeignKey("namespaces.Namespace", on_delete=models.PROTECT, related_name="kv_entries")
    key = models.CharField(max_length=255)
    type = models.CharField(max_length=16, choices=Type.choices)
    value = models.JSONField(null=True)
    size = models.PositiveIntegerField(help_text="Bytes of the value as JSON.")
    description = models.TextField(blank=True, default="")
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = KVEntryQuerySet.as_manager()

    class Meta:
        ordering = ["namespace", "key"]
        constraints = [models.UniqueConstraint(fields=["namespace", "key"], name="kv_entry_unique_key")]
        verbose_name = "KV entry"
        verbose_name_plural = "KV entries"

    def __str__(self) -> str:
        return f"{self.namespace_id}/{self.key}"

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now
