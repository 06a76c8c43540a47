"""KV entries in the admin: typed editing through the KV services, expiry shown."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from access.admin_scoping import NamespaceScopedAdmin, ScopedForm
from flowhub.engine.inputs.temporal import to_duration
from flowhub.engine.kv import KVType, coerce, key_problem
from namespaces.forms import NamespaceField

from .models import KVEntry
from .services import kv_delete_many, kv_set


class KVEntryForm(ScopedForm, forms.ModelForm):
    namespace_name = NamespaceField()
    text = forms.CharField(
        label="Value",
        widget=forms.Textarea(attrs={"rows": 4}),
        strip=False,
        help_text="Read as the type says: JSON for JSON (and a quoted string stays quoted), ISO-8601 for dates.",
    )
    ttl = forms.CharField(
        label="Time to live", required=False, help_text="An ISO-8601 duration such as PT1H; empty: never expires."
    )

    class Meta:
        model = KVEntry
        fields = ["key", "type", "description"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "key" in self.fields:  # absent on a read-only page, where no field is edited
            entry = self.instance
            self.fields["namespace_name"].initial = entry.namespace_id
            self.fields["namespace_name"].disabled = True
            self.fields["key"].disabled = True
            self.fields["text"].initial = value_text(entry)

    def clean_namespace_name(self) -> str:
        return self.editable(self.cleaned_data["namespace_name"])

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        if problem := key_problem(key):
            raise forms.ValidationError(problem)
        return key

    def clean_ttl(self) -> timedelta | None:
        text = self.cleaned_data["ttl"].strip()
        try:
            return to_duration(text) if text else None
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "type" in data and "text" in data:
            try:
                data["value"] = coerce(KVType(data["type"]), data["text"])
            except ValueError as exc:
                self.add_error("text", f"not a {data['type']} value: {exc}")
            else:
                if (size := len(json.dumps(data["value"]).encode())) > settings.FLOWHUB_KV_MAX_VALUE_BYTES:
                    self.add_error(
                        "text", f"{size} bytes: more than the limit of {settings.FLOWHUB_KV_MAX_VALUE_BYTES}"
                    )
        return data


@admin.register(KVEntry)
class KVEntryAdmin(NamespaceScopedAdmin):
    form = KVEntryForm
    fields = ["namespace_name", "key", "type", "text", "description", "ttl", "revision", "expires_at"]
    readonly_fields = ["revision", "expires_at"]
    list_display = ["key", "namespace", "type", "preview", "updated_at", "expires_at", "expired"]
    list_filter = ["type", ("namespace", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["key", "namespace__id", "description"]

    @admin.display(description="value")
    def text(self, entry: KVEntry) -> str:
        return value_text(entry)  # on a read-only page, in place of the form's field

    @admin.display(description="value")
    def preview(self, entry: KVEntry) -> str:
        text = json.dumps(entry.value)
        return text if len(text) <= 80 else text[:77] + "..."

    @admin.display(boolean=True)
    def expired(self, entry: KVEntry) -> bool:
        return entry.is_expired(timezone.now())

    def save_model(self, request: HttpRequest, obj: KVEntry, form: KVEntryForm, change: bool) -> None:
        """Through the KV service, as the API writes: the limits and the revision count apply."""
        data = form.cleaned_data
        saved = kv_set(
            namespace=obj.namespace_id if change else data["namespace_name"],
            key=obj.key,
            kv_type=KVType(data["type"]),
            value=data["value"],
            ttl=data["ttl"],
            description=data["description"],
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: KVEntry) -> None:
        kv_delete_many(namespace=obj.namespace_id, keys=[obj.key])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[KVEntry]) -> None:
        for entry in queryset:
            kv_delete_many(namespace=entry.namespace_id, keys=[entry.key])


def value_text(entry: KVEntry) -> str:
    """The value as it is typed: JSON for JSON, as is for the other types."""
    return json.dumps(entry.value) if entry.type == KVType.JSON else str(entry.value)
