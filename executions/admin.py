from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from .models import Execution, LogEntry, TaskRun


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
class ExecutionAdmin(ReadOnlyMixin, admin.ModelAdmin):
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
class TaskRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "task_id", "execution", "state", "attempt", "worker_id", "started_at", "ended_at"]
    list_filter = ["state"]
    search_fields = ["id", "task_id", "execution__id"]
    list_select_related = ["execution"]


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["timestamp", "level", "execution", "task_id", "message"]
    list_filter = ["level"]
    search_fields = ["message", "execution__id", "task_id"]
    list_select_related = ["execution"]
