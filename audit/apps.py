from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who did what: one immutable row per change a person makes, through the API, the admin or a command."""

    name = "audit"
    verbose_name = "Audit log"
