"""Dates, times and durations, read as Java's java.time reads them and written as it writes them.

Kestra renders an Instant as `2024-05-01T10:00:00.500Z` and a Duration as `PT26H`; templates and API
clients see the same text here. Java keeps nanoseconds, Python microseconds: digits past the sixth
are dropped.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

_INSTANT = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)", re.IGNORECASE
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d{1,9}))?")
# Java's Duration.parse without its sign and fractional minutes: years, months and weeks are Period's.
_DURATION = re.compile(
    r"P(?:(\d{1,18})D)?(?:T(?:(\d{1,18})H)?(?:(\d{1,18})M)?(?:(\d{1,18})(?:[.,](\d{1,9}))?S)?)?", re.IGNORECASE
)
_MICROSECONDS_PER_SECOND = 1_000_000


def parse_datetime(value: Any) -> str:
    return iso_datetime(to_datetime(value))


def to_datetime(value: Any) -> datetime:
    """An instant: text with a `Z` or an offset, as Java's `Instant.parse` wants, or an aware datetime."""
    problem = ValueError("expected an ISO-8601 date-time with a time zone, like 2024-05-01T10:00:00Z")
    if isinstance(value, datetime):  # a YAML default written without quotes
        if value.tzinfo is None:
            raise problem
        return value.astimezone(UTC)
    match = _INSTANT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise problem
    local, fraction, zone = match.groups()
    zone = "+00:00" if zone.upper() == "Z" else zone
    try:
        moment = datetime.fromisoformat(f"{local[:10]}T{local[11:]}{_micro_digits(fraction)}{zone}")
    except ValueError as exc:
        raise ValueError(f"{problem} ({exc})") from None
    return moment.astimezone(UTC)


def iso_datetime(moment: datetime) -> str:
    """As Java's `Instant.toString`: seconds always, the fraction in groups of three digits, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + _fraction(moment.microsecond) + "Z"


def parse_date(value: Any) -> str:
    return to_date(value).isoformat()


def to_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # a YAML default written without quotes
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("expected a date like 2024-05-01")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"expected a date like 2024-05-01 ({exc})") from None


def parse_time(value: Any) -> str:
    moment = to_time(value)
    return moment.strftime("%H:%M:%S") + _fraction(moment.microsecond)


def to_time(value: Any) -> time:
    # Unquoted in YAML, 10:30 is a base-60 integer; only text can be a time.
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("expected a time like 13:45 or 13:45:30")
    clock, fraction = match.groups()
    try:
        return time.fromisoformat(clock + _micro_digits(fraction))
    except ValueError as exc:
        raise ValueError(f"expected a time like 13:45:30 ({exc})") from None


def parse_duration(value: Any) -> str:
    return java_duration(to_duration(value))


def to_duration(value: Any) -> timedelta:
    problem = ValueError("expected an ISO-8601 duration like PT5M or P1DT2H (no years, months or weeks)")
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None or value.upper().endswith("T") or not any(match.groups()):
        raise problem
    days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups()[:4])
    try:
        return timedelta(
            days=days,
            hours=hours,
            minutes=minutes,
            seconds=seconds,
            microseconds=int(_micro_digits(match.group(5))[1:] or 0),
        )
    except OverflowError:
        raise ValueError("duration out of range") from None


def java_duration(duration: timedelta) -> str:
    """As Java's `Duration.toString`: days counted in hours, the fraction without trailing zeros, `PT0S`."""
    total = (duration.days * 86_400 + duration.seconds) * _MICROSECONDS_PER_SECOND + duration.microseconds
    whole, micros = divmod(total, _MICROSECONDS_PER_SECOND)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micros or text == "PT":
        text += str(seconds) + (f".{micros:06d}".rstrip("0") if micros else "") + "S"
    return text


def _micro_digits(fraction: str | None) -> str:
    """A fraction of a second as Python reads it: a dot and exactly six digits, or nothing."""
    return f".{fraction[:6].ljust(6, '0')}" if fraction else ""


def _fraction(microseconds: int) -> str:
    if not microseconds:
        return ""
    return f".{microseconds // 1000:03d}" if microseconds % 1000 == 0 else f".{microseconds:06d}"
