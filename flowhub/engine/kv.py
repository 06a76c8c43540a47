"""The KV store's values: their types, how a raw body is typed, and the rules for keys.

A value is stored as JSON with its type beside it. DATETIME, DATE and DURATION values are their
ISO-8601 text, written as Java writes them, which is what Kestra's API returns for them.
"""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from typing import Any

from .inputs.temporal import parse_date, parse_datetime, parse_duration

KEY_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*")
KEY_MAX = 255


class KVType(StrEnum):
    STRING = "STRING"
    NUMBER = "NUMBER"
    BOOLEAN = "BOOLEAN"
    DATETIME = "DATETIME"
    DATE = "DATE"
    DURATION = "DURATION"
    JSON = "JSON"


def key_problem(key: str) -> str | None:
    """Why `key` cannot name a KV entry, or None."""
    if not key or len(key) > KEY_MAX:
        return f"must be 1 to {KEY_MAX} characters"
    if not KEY_PATTERN.fullmatch(key):
        return (
            "must start with a letter or digit and hold only letters, digits, dots (.), underscores (_) and hyphens (-)"
        )
    return None


def infer(text: str) -> tuple[KVType, Any]:
    """Type a raw value as Kestra's API does: JSON first, then an ISO date-time, date or duration, else text."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError:
        return _temporal(text.strip()) or (KVType.STRING, text)
    if isinstance(value, str):
        return KVType.STRING, value
    if isinstance(value, bool):
        return KVType.BOOLEAN, value
    if isinstance(value, (int, float)):
        return (KVType.NUMBER, value) if math.isfinite(value) else (KVType.STRING, text)
    return KVType.JSON, value


def coerce(kv_type: KVType, value: Any) -> Any:
    """`value` as a value of `kv_type` (the KV Set task's `kvType`); ValueError when it is not one."""
    if kv_type is KVType.STRING:
        return value if isinstance(value, str) else json.dumps(value)
    if kv_type is KVType.NUMBER:
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else _number(value)
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    if kv_type is KVType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise ValueError("expected true or false")
    if kv_type is KVType.JSON:
        return json.loads(value, parse_constant=_no_constant) if isinstance(value, str) else value
    return _PARSERS[kv_type](value)


_PARSERS = {KVType.DATETIME: parse_datetime, KVType.DATE: parse_date, KVType.DURATION: parse_duration}


def _temporal(text: str) -> tuple[KVType, str] | None:
    for kv_type in (KVType.DATETIME, KVType.DATE, KVType.DURATION):
        try:
            return kv_type, _PARSERS[kv_type](text)
        except ValueError:
            continue
    return None


def _number(value: Any) -> int | float:
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if isinstance(parsed, bool) or not isinstance(parsed, (int, float)):
        raise ValueError("expected a number")
    return parsed


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
