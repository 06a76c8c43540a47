from django.conf import settings
from django.db import models
from django.utils import timezone

from flowhub.engine.ids import new_id


class AuditEntry(models.Model):
    """One thing someone did. Rows are only ever added (and purged after the retention period), never changed.

    Who: `actor` while the user exists, `actor_name` always (it outlives the user); the API token they used,
    if any, by id and display prefix (never its secret). `detail` holds small facts (a revision, a count, a
    state), never a value: no secret, KV value, token secret or file content is ever written here."""

    class Via(models.TextChoices):
        API = "api", "API"
        ADMIN = "admin", "Admin"
        CLI = "cli", "Command line"
        SYSTEM = "system", "System"

    id = models.CharField(primary_key=True, max_length=22, default=new_id, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    token_id = models.CharField(max_length=22, blank=True)
    token_prefix = models.CharField(max_length=12, blank=True)
    via = models.CharField(max_length=6, choices=Via.choices)
    action = models.CharField(max_length=64, help_text="A dotted slug, e.g. flow.update (audit/actions.py).")
    namespace = models.CharField(max_length=150, blank=True, help_text="Blank: not in a namespace (tokens…).")
    target = models.CharField(max_length=1024, blank=True, help_text="The flow id, KV key, file path, execution id…")
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True, help_text="The request's X-Request-ID (traceId).")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            # A caller sees the namespaces where they are admin: `namespace = p OR namespace LIKE 'p.%'`, newest
            # first. The pattern operator class lets PostgreSQL answer the LIKE from the index (other backends
            # ignore it).
            models.Index(
                fields=["namespace", "at"],
                name="audit_by_namespace",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name or self.via} {self.action} {self.namespace} {self.target}".strip()
