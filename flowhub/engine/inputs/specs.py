"""Input and output declarations: which properties each type takes, checked when a flow is saved."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flowhub.engine import templating

from .values import SCALAR_PARSERS, ValueType

INPUT_ID_PATTERN = r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"

_TYPE_PROPERTIES: dict[ValueType, frozenset[str]] = {
    ValueType.STRING: frozenset({"validator"}),
    ValueType.SECRET: frozenset({"validator"}),
    ValueType.INT: frozenset({"min", "max"}),
    ValueType.FLOAT: frozenset({"min", "max"}),
    ValueType.DURATION: frozenset({"min", "max"}),
    ValueType.DATETIME: frozenset({"after", "before"}),
    ValueType.DATE: frozenset({"after", "before"}),
    ValueType.TIME: frozenset({"after", "before"}),
    ValueType.ENUM: frozenset({"values"}),
    ValueType.SELECT: frozenset({"values", "allowCustomValue", "isRadio"}),
    ValueType.MULTISELECT: frozenset({"values", "options", "allowCustomValue"}),
    ValueType.ARRAY: frozenset({"itemType"}),
    ValueType.FILE: frozenset({"extension", "allowedFileExtensions"}),
}
_SPECIFIC_PROPERTIES = frozenset().union(*_TYPE_PROPERTIES.values())
ITEM_TYPES = frozenset(SCALAR_PARSERS) - {ValueType.SECRET, ValueType.FILE}


class DependsOn(BaseModel):
    """The input is enabled only when these inputs are, and the condition renders to `true`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inputs: tuple[str, ...] = ()
    condition: str | None = None

    @field_validator("condition")
    @classmethod
    def _condition_parses(cls, condition: str | None) -> str | None:
        if condition is not None and (problem := templating.check_syntax(condition)):
            raise ValueError(problem)
        return condition


class Declaration(BaseModel):
    """What inputs and outputs have in common: an id, a value type and their labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=INPUT_ID_PATTERN, min_length=1, max_length=100)
    type: ValueType
    description: str | None = None
    displayName: str | None = Field(default=None, max_length=64)


class InputSpec(Declaration):
    required: bool = True
    defaults: Any = None
    dependsOn: DependsOn | None = None
    validator: str | None = None
    min: float | str | None = None
    max: float | str | None = None
    after: str | None = None
    before: str | None = None
    values: tuple[str, ...] | None = None
    options: tuple[str, ...] | None = None
    allowCustomValue: bool | None = None
    isRadio: bool | None = None
    itemType: ValueType | None = None
    extension: str | None = None
    allowedFileExtensions: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _properties_fit_type(self) -> InputSpec:
        allowed = _TYPE_PROPERTIES.get(self.type, frozenset())
        for name in sorted(_SPECIFIC_PROPERTIES - allowed):
            if getattr(self, name) is not None:
                raise ValueError(f"property '{name}' does not apply to inputs of type {self.type}")
        if self.type in (ValueType.ENUM, ValueType.SELECT, ValueType.MULTISELECT) and not self.choices:
            raise ValueError(f"an input of type {self.type} needs 'values'")
        if self.type == ValueType.ARRAY and self.itemType not in ITEM_TYPES:
            raise ValueError(f"an ARRAY input needs 'itemType', one of {', '.join(sorted(ITEM_TYPES))}")
        if self.validator is not None:
            try:
                re.compile(self.validator)
            except re.error as exc:
                raise ValueError(f"validator is not a valid regular expression: {exc}") from exc
        from .resolve import check_bounds_declared, coerce  # the bounds are parsed as the type's values

        check_bounds_declared(self)
        if self.defaults is not None:
            coerce(self, self.defaults)
        return self

    @property
    def choices(self) -> tuple[str, ...]:
        return self.values or self.options or ()


class OutputSpec(Declaration):
    value: Any
