"""Kestra's value types and how a value of each is read from form text or from JSON.

Every parser returns a JSON-safe value (it is stored in the execution row): dates and times as
ISO-8601 text, durations in Java's `PT…` form, as Kestra renders them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from flowhub.engine import yamlsource
from flowhub.engine.errors import EngineError

MAX_INT = 2**31 - 1  # Kestra's INT is a Java int


class ValueType(StrEnum):
    STRING = "STRING"
    INT = "INT"
    FLOAT = "FLOAT"
    BOOLEAN = "BOOLEAN"
    BOOL = "BOOL"
    DATETIME = "DATETIME"
    DATE = "DATE"
    TIME = "TIME"
    DURATION = "DURATION"
    FILE = "FILE"
    JSON = "JSON"
    YAML = "YAML"
    URI = "URI"
    EMAIL = "EMAIL"
    SECRET = "SECRET"  # noqa: S105 (a type name, not a password)
    ENUM = "ENUM"
    SELECT = "SELECT"
    MULTISELECT = "MULTISELECT"
    ARRAY = "ARRAY"


def parse_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError("expected a string")


def parse_int(value: Any) -> int:
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected an integer")
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise ValueError("integer out of range")
    return value


def parse_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(value.strip()) if isinstance(value, str) else math.nan
        except ValueError:
            number = math.nan
    if not math.isfinite(number):
        raise ValueError("expected a number")
    return number


def parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"  # Java's Boolean.valueOf: anything else is false
    raise ValueError("expected a boolean")


def parse_datetime(value: Any) -> str:
    return iso_datetime(to_datetime(value))


def to_datetime(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in str(value):
        raise ValueError("expected an ISO-8601 date-time with a time zone, like 2024-05-01T10:00:00Z")
    return moment.astimezone(UTC)


def iso_datetime(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def parse_date(value: Any) -> str:
    return to_date(value).isoformat()


def to_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # a YAML default written as a bare date
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date like 2024-05-01")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"expected a date like 2024-05-01 ({exc})") from None


def parse_time(value: Any) -> str:
    return to_time(value).isoformat()


def to_time(value: Any) -> time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?", value):
        raise ValueError("expected a time like 13:45 or 13:45:30")
    try:
        return time.fromisoformat(value[:15])
    except ValueError as exc:
        raise ValueError(f"expected a time like 13:45:30 ({exc})") from None


_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def parse_duration(value: Any) -> str:
    return java_duration(to_duration(value))


def to_duration(value: Any) -> timedelta:
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None or not any(match.groups()) or value.endswith("T"):
        raise ValueError("expected an ISO-8601 duration like PT5M or P1DT2H (no years, months or weeks)")
    days, hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def java_duration(duration: timedelta) -> str:
    """As Java's Duration.toString: days counted in hours, `PT0S` for zero."""
    total = duration.total_seconds()
    hours, rest = divmod(int(total), 3600)
    minutes, whole_seconds = divmod(rest, 60)
    seconds = whole_seconds + (total - int(total))
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or text == "PT":
        text += f"{seconds:g}S"
    return text


def parse_file(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("kestra://", "nsfile://")):
        raise ValueError("expected an uploaded file, or a kestra:// or nsfile:// URI")
    return value


def parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc


def parse_yaml(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return yamlsource.load(value).data  # bounded: no alias bombs from an input either
    except EngineError as exc:
        raise ValueError(f"expected YAML ({exc})") from exc


_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/?#]+\S*")
# Kestra's pattern, which includes a typographic apostrophe (U+2019) among the allowed characters.
_EMAIL = re.compile("^$|^[a-zA-Z0-9_!#$%&\u2019*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+$")


def parse_uri(value: Any) -> str:
    if not isinstance(value, str) or not _URI.fullmatch(value):
        raise ValueError("expected a URI like https://example.com/path")
    return value


def parse_email(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.fullmatch(value):
        raise ValueError("expected an email address")
    return value


def parse_list(value: Any) -> list[Any]:
    """A list, or form text holding a JSON array."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError('expected a JSON array like ["a", "b"]') from None
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


SCALAR_PARSERS: dict[ValueType, Callable[[Any], Any]] = {
    ValueType.STRING: parse_string,
    ValueType.SECRET: parse_string,
    ValueType.ENUM: parse_string,
    ValueType.SELECT: parse_string,
    ValueType.INT: parse_int,
    ValueType.FLOAT: parse_float,
    ValueType.BOOLEAN: parse_boolean,
    ValueType.BOOL: parse_boolean,
    ValueType.DATETIME: parse_datetime,
    ValueType.DATE: parse_date,
    ValueType.TIME: parse_time,
    ValueType.DURATION: parse_duration,
    ValueType.FILE: parse_file,
    ValueType.JSON: parse_json,
    ValueType.YAML: parse_yaml,
    ValueType.URI: parse_uri,
    ValueType.EMAIL: parse_email,
}
