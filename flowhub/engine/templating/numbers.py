"""Pebble's and Kestra's filters on numbers: `number`, `abs` and `numberformat`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from .text import a_kind, to_text

_INTEGER = re.compile(r"[+-]?\d+")
_HEXADECIMAL = re.compile(r"([+-]?)0[xX]([0-9a-fA-F]+)")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _integer(text: str, bits: int | None = None) -> int:
    if hexadecimal := _HEXADECIMAL.fullmatch(text):
        value = int(hexadecimal.group(1) + hexadecimal.group(2), 16)
    elif _INTEGER.fullmatch(text):
        value = int(text)
    else:
        raise ValueError(f"'{text}' is not an integer")
    if bits is not None and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise ValueError(f"{value} does not fit in {bits} bits")
    return value


def _double(text: str) -> float:
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"'{text}' is not a number")
    return float(text)


def _big_decimal(text: str) -> Decimal:
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"'{text}' is not a number")
    return Decimal(text)


def _any_number(text: str) -> int | float:
    """An integer when the text is one (decimal or `0x…`), else a double."""
    return _integer(text) if _INTEGER.fullmatch(text) or _HEXADECIMAL.fullmatch(text) else _double(text)


_TYPES: dict[str, Callable[[str], Any]] = {
    "INT": lambda text: _integer(text, 32),
    "LONG": lambda text: _integer(text, 64),
    "BIGINTEGER": _integer,
    "FLOAT": _double,
    "DOUBLE": _double,
    "BIGDECIMAL": _big_decimal,
}


def number(value: Any, type: str | None = None) -> Any:
    """Text parsed as a number; `type` (INT, LONG, FLOAT, DOUBLE, BIGDECIMAL, BIGINTEGER) picks which."""
    if value is None:
        return None
    text = to_text(value)
    if type is None:
        return _any_number(text)
    if str(type).upper() not in _TYPES:
        raise ValueError(f"the type must be one of {', '.join(_TYPES)}")
    return _TYPES[str(type).upper()](text)


def _numeric(value: Any) -> int | float | Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeError(f"expects a number, not {a_kind(value)}")
    return value


def absolute(value: Any) -> Any:
    return None if value is None else abs(_numeric(value))


@dataclass(frozen=True)
class _DecimalPattern:
    """The part of Java's DecimalFormat patterns that templates use: `#,##0.00`, `0.###`, `#%`."""

    prefix: str
    suffix: str
    min_integer_digits: int
    grouping: int
    min_fraction_digits: int
    max_fraction_digits: int
    multiplier: int


@lru_cache(maxsize=256)
def _decimal_pattern(pattern: str) -> _DecimalPattern:
    positive = _unquoted_split(pattern, ";")[0]
    quoted = _quoted_positions(positive)
    digits = [index for index, char in enumerate(positive) if char in "#0,." and index not in quoted]
    if not digits:
        raise ValueError(f"the number format '{pattern}' has no digits")
    number = positive[digits[0] : digits[-1] + 1]
    prefix, suffix = _literal(positive[: digits[0]]), _literal(positive[digits[-1] + 1 :])
    if not re.fullmatch(r"[#0,]*(\.[#0]*)?", number) or "E" in suffix or "¤" in prefix + suffix:
        raise ValueError(f"unsupported number format '{pattern}'")
    integer, _, fraction = number.partition(".")
    return _DecimalPattern(
        prefix=prefix,
        suffix=suffix,
        min_integer_digits=integer.count("0"),
        grouping=len(integer) - integer.rindex(",") - 1 if "," in integer else 0,
        min_fraction_digits=fraction.count("0"),
        max_fraction_digits=len(fraction),
        multiplier=100 if "%" in prefix + suffix else 1000 if "‰" in prefix + suffix else 1,
    )


def _quoted_positions(pattern: str) -> set[int]:
    positions: set[int] = set()
    quoted = False
    for index, char in enumerate(pattern):
        if char == "'":
            quoted = not quoted
        if quoted or char == "'":
            positions.add(index)
    return positions


def _unquoted_split(pattern: str, separator: str) -> list[str]:
    quoted = _quoted_positions(pattern)
    parts: list[str] = []
    start = 0
    for index, char in enumerate(pattern):
        if char == separator and index not in quoted:
            parts.append(pattern[start:index])
            start = index + 1
    return [*parts, pattern[start:]]


def _literal(affix: str) -> str:
    """A prefix or suffix without its quotes (`''` is a quote)."""
    return re.sub(r"'(.*?)'", lambda match: match.group(1) or "'", affix)


def number_format(value: Any, format: str | None = None) -> str | None:
    """Java's DecimalFormat: `1234.5 | numberformat('#,##0.00')` is `1,234.50`; rounding half-even."""
    if value is None:
        return None
    number = _numeric(value)
    pattern = _decimal_pattern(format if format is not None else "#,##0.###")
    exact = Decimal(number) * pattern.multiplier  # a double's exact binary value, as Java rounds it
    rounded = abs(exact).quantize(Decimal(1).scaleb(-pattern.max_fraction_digits), rounding=ROUND_HALF_EVEN)
    integer, _, fraction = f"{rounded:f}".partition(".")
    integer = integer.lstrip("0").rjust(pattern.min_integer_digits, "0")
    fraction = fraction.rstrip("0").ljust(pattern.min_fraction_digits, "0")
    if pattern.grouping:
        integer = _grouped(integer, pattern.grouping)
    digits = f"{integer}.{fraction}" if fraction else integer or "0"
    return f"{'-' if exact < 0 else ''}{pattern.prefix}{digits}{pattern.suffix}"


def _grouped(digits: str, size: int) -> str:
    groups: list[str] = []
    while len(digits) > size:
        digits, group = digits[:-size], digits[-size:]
        groups.insert(0, group)
    return ",".join([digits, *groups]) if digits else ",".join(groups)


FILTERS: dict[str, Callable[..., Any]] = {
    "number": number,
    "abs": absolute,
    "numberformat": number_format,
    "numberFormat": number_format,
}
