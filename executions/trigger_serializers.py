"""Kestra's Trigger and its Backfill as the trigger API answers and takes them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowhub.api.serializers import CompactSerializer, LabelSerializer

from .label_api import MAX_LABELS
from .models import Trigger


class BackfillSerializer(CompactSerializer):
    """Kestra's Backfill of a Schedule trigger, while it runs."""

    start = serializers.DateTimeField(source="backfill_start")
    end = serializers.DateTimeField(source="backfill_end")
    currentDate = serializers.DateTimeField(
        source="backfill_current_date", help_text="It fires the dates from this one on."
    )
    paused = serializers.BooleanField(source="backfill_paused")
    inputs = serializers.DictField(source="backfill_inputs", required=False)
    labels = LabelSerializer(source="backfill_labels", many=True, required=False)
    previousNextExecutionDate = serializers.DateTimeField(
        source="backfill_previous_next_date", required=False, help_text="The trigger's next date when it started."
    )


class TriggerSerializer(CompactSerializer):
    """Kestra's Trigger: the state of one trigger of a flow."""

    tenantId = serializers.SerializerMethodField()
    namespace = serializers.CharField()
    flowId = serializers.CharField(source="flow_id")
    triggerId = serializers.CharField(source="trigger_id")
    type = serializers.CharField(help_text="flowhub: the trigger's type.")
    date = serializers.SerializerMethodField(help_text="The date it last fired for, else when it was first saved.")
    nextExecutionDate = serializers.DateTimeField(
        source="next_date", required=False, help_text="A Schedule's next date, once the scheduler computed it."
    )
    executionId = serializers.SerializerMethodField(
        help_text="The execution it started that still runs: a Schedule waits for it unless allowConcurrent."
    )
    disabled = serializers.BooleanField()
    backfill = serializers.SerializerMethodField(help_text="The backfill it runs, if any.")
    updatedDate = serializers.DateTimeField(source="updated_at")

    def get_tenantId(self, trigger: Trigger) -> str:
        return "main"

    def get_date(self, trigger: Trigger) -> str:
        return serializers.DateTimeField().to_representation(trigger.last_date or trigger.created_at)

    def get_executionId(self, trigger: Trigger) -> str | None:
        return trigger.last_execution_id if getattr(trigger, "locked", False) else None

    @extend_schema_field(BackfillSerializer)
    def get_backfill(self, trigger: Trigger) -> dict[str, Any] | None:
        return dict(BackfillSerializer(trigger).data) if trigger.backfilling else None


class TriggerPageSerializer(serializers.Serializer):
    results = TriggerSerializer(many=True)
    total = serializers.IntegerField()


class TriggerWithDefinitionSerializer(serializers.Serializer):
    abstractTrigger = serializers.DictField(required=False, help_text="The trigger as written in its flow.")
    triggerContext = TriggerSerializer()


class TriggerSearchPageSerializer(serializers.Serializer):
    results = TriggerWithDefinitionSerializer(many=True)
    total = serializers.IntegerField()


class BulkResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class TriggerRefSerializer(serializers.Serializer):
    namespace = serializers.CharField()
    flowId = serializers.CharField()
    triggerId = serializers.CharField()


@extend_schema_field(LabelSerializer(many=True))
class BackfillLabelsField(serializers.Field):
    """Kestra's labels, a `[{key, value}]` list or a map, as the list; a `system.` label is flowhub's to set."""

    def to_internal_value(self, data: Any) -> list[dict[str, str]]:
        if isinstance(data, dict):
            data = [{"key": key, "value": value} for key, value in data.items()]
        labels = serializers.ListField(child=LabelSerializer(), max_length=MAX_LABELS).run_validation(data)
        if system := [label["key"] for label in labels if label["key"].startswith("system.")]:
            raise serializers.ValidationError(f"system labels can only be set by flowhub itself: {', '.join(system)}")
        return [dict(label) for label in labels]

    def to_representation(self, value: Any) -> Any:
        return value


class BackfillInputSerializer(serializers.Serializer):
    """A backfill to start: from `start` to `end` (now, when not given)."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField(required=False, allow_null=True, help_text="Now, when not given.")
    inputs = serializers.DictField(required=False, allow_null=True, help_text="Over the trigger's own inputs.")
    labels = BackfillLabelsField(required=False, allow_null=True, help_text="After the trigger's own labels.")


class TriggerUpdateSerializer(TriggerRefSerializer):
    """Kestra's Trigger as its UI sends it back; flowhub reads the ids, and the `backfill` to start, else
    `disabled` (other keys are ignored)."""

    disabled = serializers.BooleanField(required=False)
    backfill = BackfillInputSerializer(required=False, allow_null=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("backfill") is None and "disabled" not in data:
            raise serializers.ValidationError({"disabled": "This field is required unless a backfill is given."})
        return data


class TriggerBackfillCreateSerializer(TriggerRefSerializer):
    """Kestra 2.0's request to start a backfill."""

    backfill = BackfillInputSerializer()


class TriggerDisableSerializer(TriggerRefSerializer):
    """Kestra 2.0's request to disable or enable one trigger."""

    disabled = serializers.BooleanField()
    recoverMissedSchedules = serializers.BooleanField(
        required=False, help_text="Only false: an enabled Schedule fires from its next date, not the missed ones."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("recoverMissedSchedules") and not data["disabled"]:
            raise serializers.ValidationError(
                {"recoverMissedSchedules": "flowhub does not fire the dates a Schedule missed while disabled"}
            )
        return data


class QueryFilterSerializer(serializers.Serializer):
    """One of Kestra's query filters as its clients send them in a body: `filters[field][operation]=value`."""

    field = serializers.CharField()
    operation = serializers.CharField()
    value = serializers.CharField()


class QueryFiltersBodySerializer(serializers.Serializer):
    filters = QueryFilterSerializer(many=True, required=False)


class TriggerSetDisabledSerializer(serializers.Serializer):
    triggers = serializers.ListField(child=TriggerRefSerializer(), allow_empty=False)
    disabled = serializers.BooleanField()
