"""One value for one declaration: read as its type, then held to the input's own rules.

The rules are the type-specific properties: `validator`, `min`/`max`, `after`/`before`, `values`,
`allowedFileExtensions`. Messages read after "Invalid input for `x`," as Kestra's do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .specs import DeclarationError, InputSpec, OutputSpec
from .temporal import to_date, to_datetime, to_duration, to_time
from .values import SCALAR_PARSERS, ValueType, as_text, json_safe, parse_float, parse_int, parse_list


def coerce(spec: InputSpec | OutputSpec, value: Any) -> Any:
    """The typed, JSON-safe value of `value` for `spec`, or ValueError with a message fit for a user.

    An output is only read as its type; an input is also held to its rules.
    """
    if spec.type in (ValueType.ARRAY, ValueType.MULTISELECT):
        return _coerce_list(spec, parse_list(value))
    result = SCALAR_PARSERS[spec.type](value)
    if isinstance(spec, InputSpec):
        _check_rules(spec, result)
    return result


def check_bounds_declared(spec: InputSpec) -> None:
    """Bounds are written as values of the input's own type, the lower one not above the upper one."""
    reader = _BOUND_READERS.get(spec.type)
    if reader is None:
        return  # a bound on another type is refused as a property that does not apply
    bounds: dict[str, Any] = {}
    for name in ("min", "max", "after", "before"):
        if (bound := getattr(spec, name)) is None:
            continue
        try:
            bounds[name] = reader(bound)
        except ValueError as exc:
            # The readers of dates, times and durations say which form they expect; numbers need no more.
            detail = "" if spec.type in (ValueType.INT, ValueType.FLOAT) else f": {exc}"
            raise DeclarationError(name, f"'{name}' must be {_NOUNS[spec.type]}{detail}") from None
    for lower, upper, word in (("min", "max", "less"), ("after", "before", "earlier")):
        if lower in bounds and upper in bounds and bounds[upper] < bounds[lower]:
            raise DeclarationError(upper, f"'{upper}' must not be {word} than '{lower}'")


def shorten(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 100 else text[:97] + "..."


def _coerce_list(spec: InputSpec | OutputSpec, items: list[Any]) -> list[Any]:
    if not isinstance(spec, InputSpec):
        return [json_safe(item) for item in items]  # an output has no item type: Kestra keeps the elements as given
    item_type = spec.itemType or ValueType.STRING
    result = [_item(item_type, item) for item in items]
    if spec.type == ValueType.MULTISELECT:
        for item in result:
            _check_choice(spec, as_text(item))
    return result


def _item(item_type: ValueType, item: Any) -> Any:
    try:
        return SCALAR_PARSERS[item_type](item)
    except ValueError:
        raise ValueError(f"unable to parse array element as `{item_type}` on `{shorten(item)}`") from None


def _check_rules(spec: InputSpec, value: Any) -> None:
    if spec.validator is not None and not re.fullmatch(spec.validator, value):
        raise ValueError(f"it must match the pattern '{spec.validator}'")
    if spec.type in (ValueType.ENUM, ValueType.SELECT):
        _check_choice(spec, value)
    if spec.allowedFileExtensions:
        _check_extension(spec.allowedFileExtensions, value)
    reader = _BOUND_READERS.get(spec.type)
    if reader is None:
        return
    for name, below in (("min", True), ("after", True), ("max", False), ("before", False)):
        if (bound := getattr(spec, name)) is None:
            continue
        limit, actual = reader(bound), reader(value)  # dates, times and durations compare as such, not as text
        if (actual < limit) if below else (actual > limit):
            word = {"min": "more than", "max": "less than", "after": "after", "before": "before"}[name]
            raise ValueError(f"it must be {word} {as_text(bound)}")


def _check_choice(spec: InputSpec, value: str) -> None:
    if not spec.choices and spec.expression is not None:
        return  # the values come from `expression`, which flowhub does not evaluate yet
    if value not in spec.choices and not spec.allowCustomValue:
        raise ValueError(f"it must match the values [{', '.join(spec.choices)}]")


def _check_extension(allowed: tuple[str, ...], uri: str) -> None:
    extensions = ["." + extension.lower().lstrip(".") for extension in allowed]
    name = uri.rsplit("/", 1)[-1]
    if "." not in name or "." + name.rsplit(".", 1)[1].lower() not in extensions:
        raise ValueError(f"the file extension must be one of [{', '.join(extensions)}]")


_BOUND_READERS: dict[ValueType, Callable[[Any], Any]] = {
    ValueType.INT: parse_int,
    ValueType.FLOAT: parse_float,
    ValueType.DURATION: to_duration,
    ValueType.DATETIME: to_datetime,
    ValueType.DATE: to_date,
    ValueType.TIME: to_time,
}
_NOUNS = {
    ValueType.INT: "a 32-bit integer",
    ValueType.FLOAT: "a number",
    ValueType.DURATION: "a duration",
    ValueType.DATETIME: "a date-time",
    ValueType.DATE: "a date",
    ValueType.TIME: "a time",
}
