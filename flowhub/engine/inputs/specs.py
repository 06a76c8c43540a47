"""Input and output declarations: which properties each type takes, checked when a flow is saved."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flowhub.engine import templating

from .values import SCALAR_PARSERS, ValueType, as_text

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
    ValueType.SELECT: frozenset({"values", "expression", "allowCustomValue", "isRadio", "autoSelectFirst"}),
    ValueType.MULTISELECT: frozenset(
        {"values", "options", "expression", "itemType", "allowCustomValue", "autoSelectFirst"}
    ),
    ValueType.ARRAY: frozenset({"itemType"}),
    ValueType.FILE: frozenset({"extension", "allowedFileExtensions"}),
}
_SPECIFIC_PROPERTIES = frozenset().union(*_TYPE_PROPERTIES.values())
# A FILE element would let a caller name any stored file; a SECRET one could not be masked.
_SCALAR_ITEM_TYPES = frozenset(SCALAR_PARSERS) - {ValueType.SECRET, ValueType.FILE}
ITEM_TYPES: dict[ValueType, frozenset[ValueType]] = {
    ValueType.ARRAY: _SCALAR_ITEM_TYPES,
    # Kestra refuses choice types as a MULTISELECT's items: the values are the choice.
    ValueType.MULTISELECT: _SCALAR_ITEM_TYPES - {ValueType.ENUM, ValueType.SELECT},
}


class DeclarationError(ValueError):
    """A declaration problem that belongs to one of its properties, so the parser can point at its line."""

    def __init__(self, property_name: str, message: str):
        super().__init__(message)
        self.property_name = property_name


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
    prefill: Any = None  # the UI's initial value; unlike `defaults`, never used when a value is missing
    dependsOn: DependsOn | None = None
    validator: str | None = None
    min: int | float | str | None = None
    max: int | float | str | None = None
    after: str | datetime | date | None = None  # unquoted in YAML, dates and date-times are read as such
    before: str | datetime | date | None = None
    values: tuple[str, ...] | None = None
    options: tuple[str, ...] | None = None  # MULTISELECT's old name for `values`
    # Rendered to the list of values by Kestra; flowhub checks its syntax when the flow is saved and
    # evaluates it later, when templates can reach kv() and the other functions such lists come from.
    # Until then an input whose values come only from `expression` accepts any value.
    expression: str | None = None
    allowCustomValue: bool | None = None
    isRadio: bool | None = None
    autoSelectFirst: bool | None = None
    itemType: ValueType | None = None
    extension: str | None = None  # the stored upload's extension in Kestra 0.20; the file keeps its own name here
    allowedFileExtensions: tuple[str, ...] | None = None

    @field_validator("values", "options", "allowedFileExtensions", mode="before")
    @classmethod
    def _scalars_as_text(cls, items: Any) -> Any:
        """`values: [1, 2]` means the strings, as Kestra's YAML reader takes them."""
        if not isinstance(items, list):
            return items
        return [as_text(item) if isinstance(item, (bool, int, float)) else item for item in items]

    @field_validator("expression")
    @classmethod
    def _expression_parses(cls, expression: str | None) -> str | None:
        if expression is not None and (problem := templating.check_syntax(expression)):
            raise ValueError(problem)
        return expression

    @model_validator(mode="after")
    def _properties_fit_type(self) -> InputSpec:
        allowed = _TYPE_PROPERTIES.get(self.type, frozenset())
        for name in sorted(_SPECIFIC_PROPERTIES - allowed):
            if getattr(self, name) is not None:
                raise DeclarationError(name, f"property '{name}' does not apply to inputs of type {self.type}")
        self._check_choices()
        self._check_item_type()
        if self.validator is not None:
            try:
                re.compile(self.validator)
            except re.error as exc:
                raise DeclarationError("validator", f"validator is not a valid regular expression: {exc}") from exc
        from .rules import check_bounds_declared, coerce  # rules read the declarations defined here

        check_bounds_declared(self)
        for name in ("defaults", "prefill"):
            if (value := getattr(self, name)) is not None:
                try:
                    coerce(self, value)
                except ValueError as exc:
                    raise DeclarationError(name, str(exc)) from None
        return self

    def _check_choices(self) -> None:
        if self.values is not None and self.options is not None:
            raise DeclarationError("options", "use 'values' or its old name 'options', not both")
        if self.type == ValueType.ENUM and not self.choices:
            raise DeclarationError("values", "an input of type ENUM needs 'values'")
        if self.type in (ValueType.SELECT, ValueType.MULTISELECT) and not self.choices and self.expression is None:
            raise DeclarationError("values", f"an input of type {self.type} needs 'values' or 'expression'")

    def _check_item_type(self) -> None:
        if self.type == ValueType.ARRAY and self.itemType is None:
            raise DeclarationError("itemType", "an ARRAY input needs 'itemType'")
        allowed = ITEM_TYPES.get(self.type, frozenset())
        if self.itemType is not None and self.itemType not in allowed:
            raise DeclarationError("itemType", f"'itemType' cannot be {self.itemType}")

    @property
    def choices(self) -> tuple[str, ...]:
        return self.values or self.options or ()


class OutputSpec(Declaration):
    value: Any
