"""The audit log in the admin: read only, for everyone. Rows leave only by the retention purge."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from access.roles import Role
from access.selectors import namespace_q, request_access

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "via", "action", "namespace", "target", "request_id"]
    list_filter = ["action", "via", "namespace"]
    search_fields = ["actor_name", "target", "request_id"]
    date_hierarchy = "at"
    fields = [
        "at", "actor", "actor_name", "token_id", "token_prefix", "via", "action", "namespace", "target", "detail",
        "request_id", "ip",
    ]  # fmt: skip
    readonly_fields = fields
    show_full_result_count = False  # the log grows large: no second count of the whole table per page

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        """As in the API: the entries of the namespaces where the user is admin (all of them for a superuser)."""
        return super().get_queryset(request).filter(namespace_q(request_access(request), Role.ADMIN))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Admins of some namespace: the role bindings decide, as for the API, not Django's model permissions."""
        return bool(request_access(request).prefixes(Role.ADMIN))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # not even a superuser: an audit log that can be edited proves nothing
