"""The JSON of notifications and their deliveries: camelCase, nulls left out, never a secret but once."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowhub.api.serializers import CompactSerializer, OptionalTextField

from .models import Delivery, Event
from .services import SECRET_MAX, SECRET_MIN, URL_MAX


@extend_schema_field({"type": "string", "enum": Event.values})
class EventField(serializers.CharField):
    """An event name; the service names a wrong one with its index."""


class NotificationInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=URL_MAX, help_text="An http:// or https:// URL that receives the POSTs.")
    namespaces = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, max_length=100,
        help_text="Namespace prefixes (`acme` takes `acme.sales` too); empty or left out: every namespace.",
    )  # fmt: skip
    events = serializers.ListField(child=EventField(), max_length=len(Event.values))
    secret = serializers.CharField(
        required=False, trim_whitespace=False, write_only=True, min_length=SECRET_MIN, max_length=SECRET_MAX,
        help_text="Signs every delivery. Left out: generated at creation (and answered once), kept on update.",
    )  # fmt: skip
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    enabled = serializers.BooleanField(required=False, default=True)


class NotificationSerializer(CompactSerializer):
    id = serializers.CharField()
    url = serializers.CharField()
    namespaces = serializers.ListField(child=serializers.CharField())
    events = serializers.ListField(child=EventField())
    description = OptionalTextField()
    enabled = serializers.BooleanField()
    secretHint = serializers.CharField(source="secret_hint", help_text="The secret's last 4 characters.")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class NotificationCreatedSerializer(NotificationSerializer):
    secret = serializers.CharField(required=False, help_text="The generated secret: answered this once, never again.")


class NotificationPageSerializer(serializers.Serializer):
    results = NotificationSerializer(many=True)
    total = serializers.IntegerField()


class DeliveryAttemptSerializer(CompactSerializer):
    number = serializers.IntegerField()
    startedAt = serializers.DateTimeField(source="started_at")
    durationMs = serializers.IntegerField(source="duration_ms")
    statusCode = serializers.IntegerField(source="status_code", required=False, help_text="Absent if no answer came.")
    error = OptionalTextField()
    response = OptionalTextField(help_text="The start of the receiver's answer.")


class DeliverySerializer(CompactSerializer):
    id = serializers.CharField(help_text="Also the payload's `id` and the X-Flowhub-Delivery header.")
    notificationId = serializers.CharField(source="notification_id")
    event = serializers.CharField()
    executionId = OptionalTextField(source="execution_id")
    namespace = OptionalTextField()
    status = serializers.ChoiceField(choices=Delivery.Status.values)
    attempts = serializers.IntegerField()
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", required=False)
    createdAt = serializers.DateTimeField(source="created_at")
    endedAt = serializers.DateTimeField(source="ended_at", required=False, help_text="Delivered, or given up.")
    payload = serializers.DictField(help_text="The JSON body POSTed.")
    attemptLog = DeliveryAttemptSerializer(source="attempt_log.all", many=True)


class DeliveryPageSerializer(serializers.Serializer):
    results = DeliverySerializer(many=True)
    total = serializers.IntegerField()
