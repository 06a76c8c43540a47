"""The admin's namespace file browser: list, upload, download and delete, through the file services."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from access.admin_scoping import NamespaceScopedAdmin, ScopedForm
from flowhub.api.streaming import StreamingFileResponse
from flowhub.exceptions import NotFound, ServiceError

from .file_blobs import blob_open
from .file_paths import name_of
from .file_services import namespace_file_delete, namespace_file_write
from .models import NamespaceFile


class UploadForm(ScopedForm, forms.Form):
    namespace = forms.CharField(max_length=150, help_text="Created, with its parents, if it does not exist.")
    path = forms.CharField(
        max_length=1024,
        required=False,
        help_text="Where to put it, e.g. /scripts/etl.py. Default: its name, at the top.",
    )
    file = forms.FileField(allow_empty_file=True, help_text="An existing file at that path gets a new revision.")

    def clean_namespace(self) -> str:
        return self.editable(self.cleaned_data["namespace"])


@admin.register(NamespaceFile)
class NamespaceFileAdmin(NamespaceScopedAdmin):
    list_display = ["path", "namespace", "kind", "size", "updated", "download"]
    list_filter = [("namespace", admin.RelatedOnlyFieldListFilter), "kind"]
    search_fields = ["path"]
    list_select_related = ["current", "namespace"]
    fields = ["namespace", "path", "kind", "size", "updated", "created_at", "history"]
    readonly_fields = fields

    @admin.display(description="size (bytes)")
    def size(self, entry: NamespaceFile) -> int | str:
        return entry.current.size if entry.current else "-"

    @admin.display(description="updated")
    def updated(self, entry: NamespaceFile) -> Any:
        return entry.current.created_at if entry.current else entry.updated_at

    @admin.display(description="")
    def download(self, entry: NamespaceFile) -> str:
        if entry.current is None:
            return ""
        return format_html(
            '<a href="{}">download</a>', reverse("admin:namespaces_namespacefile_download", args=[entry.pk])
        )

    @admin.display(description="revisions kept")
    def history(self, entry: NamespaceFile) -> str:
        url = reverse("admin:namespaces_namespacefile_download", args=[entry.pk])
        rows = (
            (url, revision.revision, revision.revision, revision.size, f"{revision.created_at:%Y-%m-%d %H:%M:%S}")
            for revision in entry.revisions.order_by("-revision")
        )
        return format_html_join(mark_safe("<br>"), '<a href="{}?revision={}">revision {}</a>: {} bytes, {} UTC', rows)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # contents change by upload, paths through the API's move

    def get_urls(self) -> list[Any]:
        download = path(
            "<int:pk>/download/",
            self.admin_site.admin_view(self.download_view),
            name="namespaces_namespacefile_download",
        )
        return [download, *super().get_urls()]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None) -> Any:
        """Adding a file is uploading one."""
        if not self.has_add_permission(request):
            raise Http404
        form = self.with_access(request, UploadForm)(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload: UploadedFile = form.cleaned_data["file"]
            namespace, where = form.cleaned_data["namespace"], form.cleaned_data["path"] or f"/{upload.name}"
            try:
                saved = namespace_file_write(namespace=namespace, path=where, content=upload)
            except ServiceError as exc:
                form.add_error(None, "; ".join([exc.detail, *(str(error) for error in exc.errors)]))
            else:
                self.message_user(request, f"Uploaded {saved.path} to {namespace}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:namespaces_namespacefile_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload a namespace file",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/namespaces/namespacefile/upload.html", context)

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = self.visible_or_404(request, pk=pk, kind=NamespaceFile.Kind.FILE)
        revision = request.GET.get("revision", "")
        found = entry.revisions.filter(revision=int(revision)).first() if revision.isdecimal() else entry.current
        if found is None:
            raise Http404
        return StreamingFileResponse(blob_open(found.blob), as_attachment=True, filename=name_of(entry.path))

    def delete_model(self, request: HttpRequest, obj: NamespaceFile) -> None:
        namespace_file_delete(namespace=obj.namespace_id, path=obj.path)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[NamespaceFile]) -> None:
        for entry in queryset.order_by("path"):
            with contextlib.suppress(NotFound):  # it was inside a directory deleted just before
                namespace_file_delete(namespace=entry.namespace_id, path=entry.path)
