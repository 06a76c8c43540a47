"""Pebble's and Kestra's tests: `value is empty`, `value is not null`, …

`defined` is not here: it must look at an expression that may fail, so it is an operator
(operators.is_defined).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .text import a_kind


def is_null(value: Any) -> bool:
    return value is None


def is_empty(value: Any) -> bool:
    """Null, a blank string, or an empty list or map."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return not value
    return False


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an integer is expected, not {a_kind(value)}")
    return value


def is_even(value: Any) -> bool:
    return _integer(value) % 2 == 0


def is_odd(value: Any) -> bool:
    return _integer(value) % 2 == 1


def is_iterable(value: Any) -> bool:
    """A list: in Pebble neither a string nor a map is iterable."""
    return isinstance(value, (list, tuple, set, frozenset))


def is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_json(value: Any) -> bool:
    """A map, a list, or a string that parses as JSON."""
    if isinstance(value, (Mapping, list, tuple)):
        return True
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


TESTS: dict[str, Callable[..., bool]] = {
    "null": is_null,
    "empty": is_empty,
    "even": is_even,
    "odd": is_odd,
    "iterable": is_iterable,
    "map": is_map,
    "json": is_json,
}
