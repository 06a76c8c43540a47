"""Serializer base classes for Kestra's JSON conventions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class CompactSerializer(serializers.Serializer):
    """Writes no key whose value is null, as Kestra's NON_NULL Jackson mapper does."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if value is not None}


class OptionalTextField(serializers.CharField):
    """Text that is left out when empty, as Kestra leaves out a blank description."""

    def __init__(self, **kwargs: Any):
        super().__init__(required=False, allow_blank=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:
        return super().to_representation(value) or None


class LabelSerializer(serializers.Serializer):
    """Kestra's label: `{"key": ..., "value": ...}`."""

    key = serializers.CharField()
    value = serializers.CharField()


class FlowRefSerializer(serializers.Serializer):
    """Kestra's reference to a flow in a body: `{"namespace": ..., "id": ...}`."""

    namespace = serializers.CharField()
    id = serializers.CharField()


class LabelParameterField(serializers.CharField):
    """A `key:value` query parameter, as Kestra's `labels`."""

    def to_internal_value(self, data: Any) -> tuple[str, str]:
        text = super().to_internal_value(data)
        key, separator, value = text.partition(":")
        if not separator or not key:
            raise serializers.ValidationError(f"'{text}' is not of the form key:value")
        return key, value
