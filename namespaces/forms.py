"""Form fields the admin pages share."""

from __future__ import annotations

from typing import Any

from django import forms

from flowhub.engine.namespaces import NAMESPACE_MAX, validate_namespace


class NamespaceField(forms.CharField):
    """A namespace name, held to Kestra's rules."""

    def __init__(self, **kwargs: Any):
        super().__init__(label="Namespace", max_length=NAMESPACE_MAX, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and (problem := validate_namespace(value)):
            raise forms.ValidationError(problem)
