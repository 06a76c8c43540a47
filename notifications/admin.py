"""Notifications in the admin: set through the services (the secret encrypted, never shown back), with
their delivery log read-only, each delivery with its attempts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from access.admin_scoping import NamespaceScopedAdmin, ScopedForm
from access.roles import Access, Role

from . import services
from .models import Delivery, DeliveryAttempt, Event, Notification
from .selectors import notification_list, notification_reachable

RECENT_DELIVERIES = 20
"""Deliveries shown on a notification's page; the delivery list has them all."""


class NotificationForm(ScopedForm, forms.ModelForm):
    namespace_prefixes = forms.CharField(
        label="Namespaces", required=False, help_text="Namespace prefixes, comma-separated; empty: every namespace."
    )
    event_names = forms.MultipleChoiceField(label="Events", choices=Event.choices, widget=forms.CheckboxSelectMultiple)
    new_secret = forms.CharField(
        label="Secret", required=False, strip=False, widget=forms.PasswordInput,
        help_text="Signs every delivery. Empty: generated when adding (and shown once), kept when changing.",
    )  # fmt: skip

    class Meta:
        model = Notification
        fields = ["url", "description", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["namespace_prefixes"].initial = ", ".join(self.instance.namespaces)
        self.fields["event_names"].initial = self.instance.events

    def spec(self) -> services.NotificationSpec:
        data = self.cleaned_data
        return services.NotificationSpec(
            url=data.get("url", ""),
            events=data.get("event_names", []),
            namespaces=[name.strip() for name in data.get("namespace_prefixes", "").split(",") if name.strip()],
            secret=data.get("new_secret") or None,
            description=data.get("description", ""),
            enabled=data.get("enabled", True),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        fields = {"url": "url", "namespaces": "namespace_prefixes", "events": "event_names", "secret": "new_secret"}
        spec = self.spec()
        for problem in services.notification_problems(spec):
            self.add_error(fields.get(problem.path.split("[")[0]), problem.detail)
        if not self.has_error("namespace_prefixes") and not notification_reachable(self.access, spec.namespaces):
            self.add_error("namespace_prefixes", "you need the editor role on each namespace (on all, when empty)")
        return cleaned


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecentDeliveries(BaseInlineFormSet):
    def get_queryset(self) -> QuerySet[Delivery]:
        return super().get_queryset()[:RECENT_DELIVERIES]


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    formset = RecentDeliveries
    verbose_name_plural = f"latest {RECENT_DELIVERIES} deliveries"
    fields = ["link", "event", "execution_id", "status", "attempts", "last_attempt", "created_at", "ended_at"]
    readonly_fields = fields
    ordering = ["-created_at"]
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("attempt_log")

    @admin.display(description="delivery")
    def link(self, delivery: Delivery) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:notifications_delivery_change", args=[delivery.pk]), delivery.pk
        )

    @admin.display(description="last attempt")
    def last_attempt(self, delivery: Delivery) -> str:
        attempts = list(delivery.attempt_log.all())
        return _attempt_summary(attempts[-1]) if attempts else "-"


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "response"]
    readonly_fields = fields


class NotificationScopedAdmin(NamespaceScopedAdmin):
    """Notifications and their deliveries: the caller's to see and change when they are an editor of each of the
    notification's namespace prefixes (of every namespace, when it has none), whatever the role asked, as in
    the API."""

    notification_field = "pk"  # the ORM path to the notification's id

    def scope(self, queryset: QuerySet[Any], access: Access, role: Role) -> QuerySet[Any]:
        return queryset.filter(**{f"{self.notification_field}__in": notification_list(access=access)})

    def reaches(self, access: Access, obj: Any, role: Role) -> bool:
        return self.scope(self.model.objects.filter(pk=obj.pk), access, role).exists()


@admin.register(Notification)
class NotificationAdmin(NotificationScopedAdmin):
    form = NotificationForm
    list_display = ["url", "events_shown", "namespaces_shown", "enabled", "secret_hint", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "description"]
    readonly_fields = ["id", "secret_hint", "created_at", "updated_at", "delivery_log"]
    inlines = [DeliveryInline]

    def get_fields(self, request: HttpRequest, obj: Notification | None = None) -> list[str]:
        fields = ["url", "namespace_prefixes", "event_names", "new_secret", "description", "enabled"]
        return fields if obj is None else ["id", *fields, "secret_hint", "created_at", "updated_at", "delivery_log"]

    @admin.display(description="delivery log")
    def delivery_log(self, notification: Notification) -> str:
        url = reverse("admin:notifications_delivery_changelist") + f"?notification={notification.pk}"
        return format_html('<a href="{}">every delivery and its attempts</a>', url)

    @admin.display(description="events")
    def events_shown(self, notification: Notification) -> str:
        return ", ".join(notification.events)

    @admin.display(description="namespaces")
    def namespaces_shown(self, notification: Notification) -> str:
        return ", ".join(notification.namespaces) or "(all)"

    def save_model(self, request: HttpRequest, obj: Notification, form: Any, change: bool) -> None:
        spec = form.spec()
        if change:
            saved = services.notification_update(notification_id=obj.pk, spec=spec)
        else:
            saved, generated = services.notification_create(spec=spec)
            if generated is not None:
                messages.warning(request, f"Its generated secret, shown this once: {generated}")
        form.instance = obj = saved
        obj.pk = saved.pk


@admin.register(Delivery)
class DeliveryAdmin(NotificationScopedAdmin):
    notification_field = "notification"
    list_display = ["id", "notification", "event", "execution_id", "status", "attempts", "created_at", "ended_at"]
    list_filter = ["status", "event"]
    search_fields = ["id", "execution_id", "namespace", "notification__url"]
    list_select_related = ["notification"]
    fields = [
        "id", "notification", "event", "execution_id", "namespace", "status", "attempts", "next_attempt_at",
        "claimed_until", "created_at", "ended_at", "payload",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _attempt_summary(attempt: DeliveryAttempt) -> str:
    answer = str(attempt.status_code) if attempt.status_code is not None else attempt.error[:80]
    return f"#{attempt.number} {answer} in {attempt.duration_ms} ms"
