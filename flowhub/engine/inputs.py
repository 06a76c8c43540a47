"""Flow input declarations, and turning the values a caller supplied into typed inputs.

Multipart forms deliver every value as text, so each type knows how to parse text; JSON bodies
deliver typed values, which are accepted when they already have the right type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import ErrorDetail, InvalidInputsError

INPUT_ID_PATTERN = r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"
MAX_INT = 2**31 - 1  # Kestra's INT is a Java int


class ValueType(StrEnum):
    STRING = "STRING"
    INT = "INT"
    FLOAT = "FLOAT"
    BOOLEAN = "BOOLEAN"
    BOOL = "BOOL"
    JSON = "JSON"


_TYPE_PROPERTIES: dict[ValueType, frozenset[str]] = {
    ValueType.STRING: frozenset({"validator"}),
    ValueType.INT: frozenset({"min", "max"}),
    ValueType.FLOAT: frozenset({"min", "max"}),
}
_SPECIFIC_PROPERTIES = frozenset({"validator", "min", "max"})


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=INPUT_ID_PATTERN, min_length=1, max_length=100)
    type: ValueType
    required: bool = True
    defaults: Any = None
    description: str | None = None
    displayName: str | None = Field(default=None, max_length=64)
    validator: str | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _properties_fit_type(self) -> InputSpec:
        allowed = _TYPE_PROPERTIES.get(self.type, frozenset())
        for name in sorted(_SPECIFIC_PROPERTIES - allowed):
            if getattr(self, name) is not None:
                raise ValueError(f"property '{name}' does not apply to inputs of type {self.type}")
        if self.validator is not None:
            try:
                re.compile(self.validator)
            except re.error as exc:
                raise ValueError(f"validator is not a valid regular expression: {exc}") from exc
        if self.defaults is not None:
            coerce(self, self.defaults)
        return self


class OutputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=INPUT_ID_PATTERN, min_length=1, max_length=100)
    type: ValueType
    value: Any
    description: str | None = None
    displayName: str | None = Field(default=None, max_length=64)


def coerce(spec: InputSpec | OutputSpec, value: Any) -> Any:
    """The typed value of `value` for `spec`, or ValueError with a message fit for a user."""
    result = _PARSERS[spec.type](value)
    if isinstance(spec, InputSpec):
        _check_bounds(spec, result)
    return result


def resolve(specs: tuple[InputSpec, ...], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Typed inputs for an execution; unknown names are ignored, as Kestra does."""
    errors: list[ErrorDetail] = []
    resolved: dict[str, Any] = {}
    for spec in specs:
        value = supplied.get(spec.id)
        if value is None or (value == "" and spec.type != ValueType.STRING):
            value = spec.defaults
        if value is None:
            if spec.required:
                errors.append(ErrorDetail(f"inputs.{spec.id}", "missing required input"))
            continue
        try:
            _assign(resolved, spec.id, coerce(spec, value))
        except ValueError as exc:
            errors.append(ErrorDetail(f"inputs.{spec.id}", f"{exc}, but received '{_shorten(value)}'"))
    if errors:
        raise InvalidInputsError(errors)
    return resolved


def _assign(target: dict[str, Any], dotted_id: str, value: Any) -> None:
    *parents, leaf = dotted_id.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[leaf] = value


def _shorten(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 100 else text[:97] + "..."


def _check_bounds(spec: InputSpec, value: Any) -> None:
    if spec.validator is not None and not re.fullmatch(spec.validator, value):
        raise ValueError(f"it must match the pattern '{spec.validator}'")
    if spec.min is not None and value < spec.min:
        raise ValueError(f"it must be more than {_number(spec.min)}")
    if spec.max is not None and value > spec.max:
        raise ValueError(f"it must be less than {_number(spec.max)}")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def _parse_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError("expected a string")


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
        value = int(value)
    if not isinstance(value, int):
        raise ValueError("expected an integer")
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise ValueError("integer out of range")
    return value


def _parse_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        number = float(value.strip()) if isinstance(value, str) else None
    except ValueError:
        number = None
    if number is None or number != number or number in (float("inf"), float("-inf")):
        raise ValueError("expected a number")
    return number


def _parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"  # Java's Boolean.valueOf: anything else is false
    raise ValueError("expected a boolean")


def _parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc


_PARSERS: dict[ValueType, Callable[[Any], Any]] = {
    ValueType.STRING: _parse_string,
    ValueType.INT: _parse_int,
    ValueType.FLOAT: _parse_float,
    ValueType.BOOLEAN: _parse_boolean,
    ValueType.BOOL: _parse_boolean,
    ValueType.JSON: _parse_json,
}
