from datetime import UTC, datetime

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from access.admin_scoping import NamespaceScopedAdmin

from .models import Execution, LogEntry, TaskRun, Trigger
from .trigger_actions import triggers_set_disabled
from .trigger_backfills import BackfillChange, triggers_backfill_change


class ReadOnlyMixin:
    """Executions are written by the engine only; the admin shows them."""

    @admin.display(description="state history")
    def history(self, row: Execution | TaskRun) -> str:
        entries = ((entry["state"], entry["date"]) for entry in row.state_history)
        return format_html_join(mark_safe("<br>"), "{} at {}", entries)

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class TaskRunInline(ReadOnlyMixin, admin.TabularInline):
    model = TaskRun
    fields = ["task_id", "value", "state", "attempt", "outputs", "worker_id", "started_at", "ended_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class LogEntryInline(ReadOnlyMixin, admin.TabularInline):
    model = LogEntry
    fields = ["timestamp", "level", "task_id", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Execution)
class ExecutionAdmin(ReadOnlyMixin, NamespaceScopedAdmin):
    namespace_field = "namespace"
    list_display = ["id", "namespace", "flow_id", "state", "created_at", "ended_at"]
    list_filter = ["state", "namespace", "created_at"]
    search_fields = ["id", "flow_id", "namespace"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id", "namespace", "flow_id", "flow_revision", "state", "history", "inputs", "outputs", "labels",
        "trigger", "parent", "parent_task_run", "original_id", "attempt_number",
        "created_at", "started_at", "ended_at", "updated_at",
    ]  # fmt: skip
    fields = readonly_fields  # the history once, readably: not its raw JSON too
    inlines = [TaskRunInline, LogEntryInline]


@admin.register(TaskRun)
class TaskRunAdmin(ReadOnlyMixin, NamespaceScopedAdmin):
    namespace_field = "execution__namespace"
    list_display = ["id", "task_id", "execution", "state", "attempt", "worker_id", "started_at", "ended_at"]
    list_filter = ["state"]
    search_fields = ["id", "task_id", "execution__id"]
    list_select_related = ["execution"]


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyMixin, NamespaceScopedAdmin):
    namespace_field = "execution__namespace"
    list_display = ["timestamp", "level", "execution", "task_id", "message"]
    list_filter = ["level"]
    search_fields = ["message", "execution__id", "task_id"]
    list_select_related = ["execution"]


@admin.register(Trigger)
class TriggerAdmin(NamespaceScopedAdmin):
    """Trigger rows follow the flows' YAML; a person disables or enables them, and pauses, resumes or deletes
    their backfills (started through the API)."""

    namespace_field = "namespace"

    list_display = ["trigger_id", "flow_id", "namespace", "type", "disabled", "next_date", "last_date", "backfill"]
    list_filter = ["disabled", "type", "namespace"]
    search_fields = ["trigger_id", "flow_id", "namespace"]
    fields = [
        "namespace", "flow_id", "trigger_id", "type", "disabled", "next_date", "last_date", "last_execution_id",
        "backfill", "backfill_inputs", "backfill_labels", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = [field for field in fields if field != "disabled"]
    actions = ["disable", "enable", "pause_backfill", "unpause_backfill", "delete_backfill"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Trigger | None = None) -> bool:
        return False

    @admin.display(description="backfill")
    def backfill(self, trigger: Trigger) -> str:
        """Where its backfill stands: `2026-01-01 05:00 → 2026-01-02 00:00, at 2026-01-01 09:00 (paused)`."""
        if not trigger.backfilling:
            return "-"
        window = f"{_minutes(trigger.backfill_start)} → {_minutes(trigger.backfill_end)}"
        paused = " (paused)" if trigger.backfill_paused else ""
        return f"{window}, at {_minutes(trigger.backfill_current_date)}{paused}"

    @admin.action(description="Disable the selected triggers")
    def disable(self, request: HttpRequest, queryset: QuerySet[Trigger]) -> None:
        count = triggers_set_disabled(triggers=queryset, disabled=True)
        self.message_user(request, f"{count} trigger(s) disabled.")

    @admin.action(description="Enable the selected triggers")
    def enable(self, request: HttpRequest, queryset: QuerySet[Trigger]) -> None:
        count = triggers_set_disabled(triggers=queryset, disabled=False)
        self.message_user(request, f"{count} trigger(s) enabled.")

    @admin.action(description="Pause the backfills of the selected triggers")
    def pause_backfill(self, request: HttpRequest, queryset: QuerySet[Trigger]) -> None:
        count = triggers_backfill_change(triggers=queryset, change=BackfillChange.PAUSE)
        self.message_user(request, f"{count} backfill(s) paused.")

    @admin.action(description="Resume the backfills of the selected triggers")
    def unpause_backfill(self, request: HttpRequest, queryset: QuerySet[Trigger]) -> None:
        count = triggers_backfill_change(triggers=queryset, change=BackfillChange.UNPAUSE)
        self.message_user(request, f"{count} backfill(s) resumed.")

    @admin.action(description="Delete the backfills of the selected triggers")
    def delete_backfill(self, request: HttpRequest, queryset: QuerySet[Trigger]) -> None:
        count = triggers_backfill_change(triggers=queryset, change=BackfillChange.DELETE)
        self.message_user(request, f"{count} backfill(s) deleted.")


def _minutes(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
