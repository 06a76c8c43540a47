"""How Kestra writes values as text, and the JSON it writes for maps and lists.

Output follows Kestra (Jackson and Java's `toString`): maps and lists as compact JSON without the
map entries whose value is null, booleans as `true`/`false`, null as nothing, doubles as Java prints
them (`2.5`, `1.0E10`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

import jinja2

from flowhub.engine.errors import TemplateError

from . import limits


class MapEntry(NamedTuple):
    """One entry of a map, as iterating over the map gives it: `{{ e.key }}={{ e.value }}`."""

    key: Any
    value: Any


def a_kind(value: Any) -> str:
    """What `value` is, for error messages: `a string`, `an integer`, `a map`, `null`…"""
    kind = _kind(value)
    return kind if kind == "null" else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "list"
    if isinstance(value, (dt.date, dt.datetime)):
        return "date"
    return "function" if callable(value) else "object"


def require_defined(value: Any) -> None:
    """Fail with Jinja's own "'x' is undefined" error when `value` stands for a missing variable."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # a StrictUndefined raises its UndefinedError on any use


def to_text(value: Any) -> str:
    """Kestra's text of a value, as `{{ value }}` writes it."""
    require_defined(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, MapEntry):
        return f"{to_text(value.key)}={to_text(value.value)}"
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return to_json(value)
    return _scalar_text(value)


def java_text(value: Any) -> str:
    """Java's `String.valueOf`: like `to_text`, but null is written `null` (`+` and `join` use it)."""
    return "null" if value is None else to_text(value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat().replace("+00:00", "Z")
    raise TemplateError(f"{a_kind(value)} cannot be written as text")


def java_double(value: float) -> str:
    """Java's `Double.toString`: plain between 10^-3 and 10^7, else `1.0E10`, `1.5E-5`."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    significant = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    return f"{'-' if sign else ''}{significant[0]}.{significant[1:] or '0'}E{power}"


def to_json(value: Any, *, include_nulls: bool = False, sort_keys: bool = False) -> str:
    """Compact JSON, as Kestra's Jackson writes it; map entries with a null value are left out
    unless `include_nulls`."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return limits.bounded_join(encoder.iterencode(plain_data(value, include_nulls)), "JSON text")


def plain_data(value: Any, include_nulls: bool = True) -> Any:
    """`value` as JSON types: maps, lists, text, numbers, booleans and nulls."""
    require_defined(value)
    if isinstance(value, MapEntry):
        value = {value.key: value.value}
    if isinstance(value, Mapping):
        return {
            key: plain_data(item, include_nulls) for key, item in value.items() if include_nulls or item is not None
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain_data(item, include_nulls) for item in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return _scalar_text(value)
