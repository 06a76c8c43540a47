"""Kestra's value types and how a value of each is read from form text or from JSON.

Multipart forms deliver every value as text; JSON bodies and YAML defaults deliver typed values,
which are accepted when they already have the right type. Every parser returns a JSON-safe value
(it is stored in the execution row): dates and times as ISO-8601 text, durations in Java's `PT…`
form, as Kestra renders them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from flowhub.engine import yamlsource
from flowhub.engine.errors import EngineError, InvalidFlowError

from .temporal import iso_datetime, parse_date, parse_datetime, parse_duration, parse_time

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
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", text := value.strip()):
        if len(text.lstrip("+-")) > 10:  # past any int's digits, and before Python's own limit on them
            raise ValueError("integer out of range")
        value = int(text)
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
    if not math.isfinite(number):  # JSON, and so the execution row, has no NaN or infinity
        raise ValueError("expected a number")
    return number


def parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"  # Java's Boolean.valueOf: anything else is false
    raise ValueError("expected a boolean")


def parse_file(value: Any) -> str:
    """A file already in storage: the API stores an upload first and passes its `kestra://` URI."""
    if not isinstance(value, str) or not value.startswith(("kestra://", "nsfile://")):
        raise ValueError("expected an uploaded file, or a kestra:// or nsfile:// URI")
    return value


def parse_json(value: Any) -> Any:
    try:
        return json_safe(_load_json(value, "expected JSON") if isinstance(value, str) else value)
    except RecursionError:  # the parser's depth was enough, but not what was left of the stack
        raise ValueError("expected JSON (nested too deeply)") from None


def parse_yaml(value: Any) -> Any:
    if not isinstance(value, str):
        return json_safe(value)
    try:
        return json_safe(yamlsource.load(value).data)  # bounded: no alias bombs from an input either
    except InvalidFlowError as exc:
        first = exc.errors[0]
        where = f" at line {first.line}" if first.line else ""
        raise ValueError(f"expected YAML ({first.detail.removeprefix('invalid YAML: ')}{where})") from exc
    except EngineError as exc:  # too large
        raise ValueError(f"expected YAML ({exc})") from exc


_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/?#]+\S*")
# Kestra's pattern, which includes a typographic apostrophe (U+2019) among the allowed characters.
_EMAIL = re.compile("^$|^[a-zA-Z0-9_!#$%&\u2019*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+$")


def parse_uri(value: Any) -> str:
    # Looser than Kestra's pattern, which wants a dot in the host and so refuses http://localhost:8080.
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
        value = _load_json(value, 'expected a JSON array like ["a", "b"]')
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def json_safe(value: Any) -> Any:
    """`value` as JSON can hold it: YAML's dates and times become ISO-8601 text, as Kestra's YAML reader keeps them."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, datetime):
        return iso_datetime(value) if value.tzinfo else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected finite numbers (JSON has no NaN or infinity)")
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise ValueError(f"a {type(value).__name__} value cannot be stored as JSON")


def as_text(value: Any) -> str:
    """A value as Kestra writes it in a message or compares it with `values`: `true`, `5` for 5.0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    value = json_safe(value)  # a date written without quotes in YAML reads as its ISO-8601 text
    return value if isinstance(value, str) else json.dumps(value)


def _load_json(text: str, expected: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{expected} ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # NaN, or an integer with more digits than Python converts
        raise ValueError(f"{expected} ({exc})") from None
    except RecursionError:
        raise ValueError(f"{expected} (nested too deeply)") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# SECRET is read as text and kept as given: encryption at rest comes with the secrets issue.
# ENUM and SELECT are text here; their `values` are checked with the input's other rules.
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
