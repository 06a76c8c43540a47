"""Admin for namespaces and flows: flows are edited as YAML, with the API's validation and messages."""

from __future__ import annotations

import difflib
from contextlib import suppress
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from access.admin_scoping import NamespaceScopedAdmin, ScopedForm
from access.selectors import Saver, request_access
from flowhub.engine.errors import EngineError, InvalidFlowError
from flowhub.exceptions import NotFound

from . import file_admin, services  # noqa: F401 (file_admin registers the namespace file browser)
from .flows import parse_source
from .forms import NamespaceField
from .models import Flow, FlowRevision, Namespace, Secret
from .secrets import name_problem, secret_delete, secret_set


@admin.register(Namespace)
class NamespaceAdmin(NamespaceScopedAdmin):
    namespace_field = "id"
    list_display = ["tree", "created_at"]
    search_fields = ["id"]
    ordering = ["id"]

    @admin.display(description="namespace", ordering="id")
    def tree(self, namespace: Namespace) -> str:
        depth = namespace.id.count(".")
        return format_html("{}{}", "\u2003" * depth, namespace.id if not depth else namespace.id.rsplit(".", 1)[1])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # namespaces are created, parents included, with their first flow

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a namespace's id is its only field


class FlowSourceForm(ScopedForm, forms.ModelForm):
    source = forms.CharField(
        label="YAML",
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 30, "cols": 110, "style": "font-family: monospace", "spellcheck": "false"}
        ),
        help_text="Kestra flow syntax. Saving makes a new revision; an unchanged source keeps the current one.",
    )

    class Meta:
        model = Flow
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.current:
            self.fields["source"].initial = self.instance.current.source

    def clean_source(self) -> str:
        source: str = self.cleaned_data["source"]
        try:
            parsed = parse_source(source)
        except InvalidFlowError as exc:
            raise forms.ValidationError([str(error) for error in exc.errors]) from exc
        except EngineError as exc:
            raise forms.ValidationError(str(exc)) from exc
        self.editable(parsed.namespace)
        if self.instance.pk and (parsed.namespace, parsed.id) != (self.instance.namespace_id, self.instance.flow_id):
            raise forms.ValidationError(
                f"id and namespace cannot change: this flow is {self.instance.namespace_id}.{self.instance.flow_id}"
            )
        if (
            not self.instance.pk
            and Flow.objects.filter(namespace_id=parsed.namespace, flow_id=parsed.id, deleted=False).exists()
        ):
            raise forms.ValidationError(f"flow '{parsed.namespace}.{parsed.id}' already exists")
        return source


@admin.register(Flow)
class FlowAdmin(NamespaceScopedAdmin):
    form = FlowSourceForm
    list_display = ["flow_id", "namespace", "revision", "deleted", "updated_at"]
    list_filter = ["deleted", ("namespace", admin.RelatedOnlyFieldListFilter)]  # only namespaces in sight
    search_fields = ["flow_id", "namespace__id"]

    def get_readonly_fields(self, request: HttpRequest, obj: Flow | None = None) -> list[str]:
        return ["namespace", "flow_id", "current", "compare", "history", "created_at", "updated_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Flow | None = None) -> list[str]:
        return [*self.get_readonly_fields(request, obj), "source"]

    @admin.display(description="YAML")
    def source(self, flow: Flow) -> str:
        """The current source, on a read-only page (in place of the form's field)."""
        return format_html("<pre>{}</pre>", flow.current.source) if flow.current else "-"

    @admin.display(ordering="current__revision")
    def revision(self, flow: Flow) -> int | None:
        return flow.current.revision if flow.current else None

    @admin.display(description="compare revisions")
    def compare(self, flow: Flow) -> str:
        if flow.current is None or flow.current.revision < 2:
            return "-"
        url = reverse("admin:namespaces_flow_diff", args=[flow.pk])
        latest = flow.current.revision
        return format_html(
            '<a href="{}?from={}&to={}">revision {} → {}</a>', url, latest - 1, latest, latest - 1, latest
        )

    @admin.display(description="revisions")
    def history(self, flow: Flow) -> str:
        entries = (
            (revision.revision, f"{revision.created_at:%Y-%m-%d %H:%M:%S}", revision.saved_by_name or "the server")
            for revision in flow.revisions.all()
        )
        return format_html_join(mark_safe("<br>"), "revision {} saved {} UTC by {}", entries)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("current")

    def save_model(self, request: HttpRequest, obj: Flow, form: FlowSourceForm, change: bool) -> None:
        """Save through the flow services, as the API does; the form already validated the source."""
        source = form.cleaned_data["source"]
        if change:
            saved = services.flow_update(
                namespace=obj.namespace_id, flow_id=obj.flow_id, source=source, saved_by=Saver(request.user)
            )
        else:
            saved = services.flow_create(source=source, access=request_access(request), saved_by=Saver(request.user))
        obj.pk, obj.namespace_id, obj.flow_id, obj.current = saved.pk, saved.namespace_id, saved.flow_id, saved.current
        if gaps := parse_source(source).not_runnable:
            messages.warning(
                request,
                format_html(
                    "Saved, but flowhub cannot run this flow yet:<br>{}",
                    format_html_join(mark_safe("<br>"), "{}", ((str(gap),) for gap in gaps)),
                ),
            )

    def delete_model(self, request: HttpRequest, obj: Flow) -> None:
        services.flow_delete(namespace=obj.namespace_id, flow_id=obj.flow_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Flow]) -> None:
        """The bulk action deletes as one delete does (softly, audited), not the rows."""
        for flow in queryset:
            with suppress(NotFound):  # deleted already
                services.flow_delete(namespace=flow.namespace_id, flow_id=flow.flow_id)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[list[str], dict[str, int], set[str], list]:
        """What the confirmation page lists: the flows only. The delete is soft, so no revision goes and none is
        'protected' (Django's collector would refuse, as the flow's current revision points back at it)."""
        flows = list(objs)
        refused = set() if self.has_delete_permission(request) else {str(self.model._meta.verbose_name)}
        return [str(flow) for flow in flows], {str(self.model._meta.verbose_name_plural): len(flows)}, refused, []

    def get_urls(self) -> list[Any]:
        diff = path("<int:flow_pk>/diff/", self.admin_site.admin_view(self.diff_view), name="namespaces_flow_diff")
        return [diff, *super().get_urls()]

    def diff_view(self, request: HttpRequest, flow_pk: int) -> HttpResponse:
        flow = self.visible_or_404(request, pk=flow_pk)
        revisions = {revision.revision: revision for revision in flow.revisions.all()}
        latest = max(revisions)
        first = _revision_number(request.GET.get("from"), latest - 1, revisions)
        second = _revision_number(request.GET.get("to"), latest, revisions)
        lines = difflib.unified_diff(
            revisions[first].source.splitlines(),
            revisions[second].source.splitlines(),
            fromfile=f"revision {first}",
            tofile=f"revision {second}",
            lineterm="",
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"{flow}: revision {first} → {second}",
            "flow": flow,
            "opts": self.model._meta,
            "revisions": sorted(revisions),
            "first": first,
            "second": second,
            "lines": [(line[:1], line) for line in lines],
        }
        return TemplateResponse(request, "admin/namespaces/flow/diff.html", context)


def _revision_number(raw: str | None, default: int, revisions: dict[int, FlowRevision]) -> int:
    number = int(raw) if raw and raw.isdigit() else default
    return number if number in revisions else min(revisions)


@admin.register(FlowRevision)
class FlowRevisionAdmin(NamespaceScopedAdmin):
    namespace_field = "flow__namespace__id"
    list_display = ["flow", "revision", "saved_by_name", "created_at"]
    list_filter = [("flow__namespace", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["flow__flow_id", "source"]
    readonly_fields = ["flow", "revision", "source", "saved_by", "saved_by_name", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SecretForm(ScopedForm, forms.ModelForm):
    """The value is write-only: never shown, and left as it is when the field stays empty."""

    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=False,
        help_text="Stored encrypted; it is never shown again. Leave empty to keep the current value.",
    )
    namespace_name = NamespaceField()

    class Meta:
        model = Secret
        fields = ["name", "description"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "name" in self.fields:  # absent on a read-only page, where no field is edited
            self.fields["namespace_name"].initial = self.instance.namespace_id
            self.fields["namespace_name"].disabled = True
            self.fields["name"].disabled = True
        elif not self.instance.pk:
            self.fields["value"].required = True

    def clean_namespace_name(self) -> str:
        return self.editable(self.cleaned_data["namespace_name"])

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if problem := name_problem(name):
            raise forms.ValidationError(problem)
        return name


@admin.register(Secret)
class SecretAdmin(NamespaceScopedAdmin):
    form = SecretForm
    fields = ["namespace_name", "name", "value", "description", "created_at", "updated_at", "last_used_at"]
    readonly_fields = ["created_at", "updated_at", "last_used_at"]
    list_display = ["name", "namespace", "description", "updated_at", "last_used_at"]
    list_filter = [("namespace", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "namespace__id", "description"]

    def save_model(self, request: HttpRequest, obj: Secret, form: SecretForm, change: bool) -> None:
        """Through the secrets service: it validates the name and encrypts the value."""
        data = form.cleaned_data
        namespace = obj.namespace_id if change else data["namespace_name"]
        if data["value"]:
            saved, _ = secret_set(
                namespace=namespace, name=obj.name, value=data["value"], description=data["description"]
            )
            obj.pk = saved.pk
        else:
            Secret.objects.filter(pk=obj.pk).update(description=data["description"])

    def delete_model(self, request: HttpRequest, obj: Secret) -> None:
        secret_delete(namespace=obj.namespace_id, name=obj.name)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Secret]) -> None:
        for secret in queryset:
            with suppress(NotFound):  # deleted meanwhile
                secret_delete(namespace=secret.namespace_id, name=secret.name)
