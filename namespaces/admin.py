from django.contrib import admin

from .models import Flow, FlowRevision, Namespace


@admin.register(Namespace)
class NamespaceAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at"]
    search_fields = ["id"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # namespaces are created, parents included, with their first flow

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # a namespace's id is its only field


class FlowRevisionInline(admin.TabularInline):
    model = FlowRevision
    fields = ["revision", "created_at", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-revision"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["flow_id", "namespace", "revision", "deleted", "updated_at"]
    list_filter = ["deleted", "namespace"]
    search_fields = ["flow_id", "namespace__id"]
    readonly_fields = ["namespace", "flow_id", "current", "created_at", "updated_at"]
    inlines = [FlowRevisionInline]

    @admin.display(ordering="current__revision")
    def revision(self, flow: Flow) -> int | None:
        return flow.current.revision if flow.current else None

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).select_related("current")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # flows are created from YAML through the API, which validates them


@admin.register(FlowRevision)
class FlowRevisionAdmin(admin.ModelAdmin):
    list_display = ["flow", "revision", "created_at"]
    list_filter = ["flow__namespace"]
    search_fields = ["flow__flow_id", "source"]
    readonly_fields = ["flow", "revision", "source", "created_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
