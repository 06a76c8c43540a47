"""Kestra's date filters (`date`, `dateAdd`, `timestamp*`) and the `now()` function.

A date may be given as an ISO text (`2024-05-01T10:00:00.500Z`, `2024-05-01T10:00:00`,
`2024-05-01`), a text in `existingFormat`, a date or datetime, or epoch seconds. It is written in
`timeZone` (default UTC) with a pattern or a named format (default `iso`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date as Date
from datetime import datetime, time, tzinfo
from typing import Any

from .java_time import format_moment, parse_moment
from .moments import Moment, zone_of
from .text import a_kind


def moment_of(value: Any, zone: tzinfo, existing_format: str | None = None) -> Moment:
    """Kestra's reading of a date: a local date-time is placed in `zone`, a date object at noon."""
    if isinstance(value, datetime):
        return Moment.of(value if value.tzinfo is not None else value.replace(tzinfo=zone))
    if isinstance(value, Date):
        return Moment.of(datetime.combine(value, time(12), zone))
    if isinstance(value, int) and not isinstance(value, bool):
        return Moment.of_epoch_nanos(value * 10**9, zone)
    if isinstance(value, str):
        return parse_moment(value, existing_format, zone)
    raise TypeError(f"expects a date, not {a_kind(value)}")


def _check_locale(locale: str | None) -> None:
    if locale is not None and not str(locale).lower().startswith("en"):
        raise ValueError(f"only English is supported, not the locale '{locale}'")


def date(
    value: Any,
    format: str = "iso",
    timeZone: str | None = None,
    existingFormat: str | None = None,
    locale: str | None = None,
) -> str | None:
    """`{{ execution.startDate | date('yyyy-MM-dd', timeZone='Europe/Paris') }}`."""
    if value is None:
        return None
    return _formatted(value, 0, None, format, timeZone, existingFormat, locale)


def date_add(
    value: Any,
    amount: int,
    unit: str,
    format: str = "iso",
    timeZone: str | None = None,
    existingFormat: str | None = None,
    locale: str | None = None,
) -> str | None:
    """`{{ trigger.date | dateAdd(-1, 'DAYS') }}`: units are Java's ChronoUnit names."""
    if value is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"the amount must be an integer, not {a_kind(amount)}")
    return _formatted(value, amount, str(unit), format, timeZone, existingFormat, locale)


def _formatted(
    value: Any,
    amount: int,
    unit: str | None,
    format: str,
    time_zone: str | None,
    existing_format: str | None,
    locale: str | None,
) -> str:
    """`value` read as a moment, moved by `amount` `unit`s (if any), written in `format` in its zone."""
    _check_locale(locale)
    zone = zone_of(time_zone)
    moment = moment_of(value, zone, existing_format)
    if unit is not None:
        moment = moment.plus(amount, unit)
    return format_moment(moment.in_zone(zone), format or "iso")


def _timestamp(per_second: int) -> Callable[..., str | None]:
    def timestamp(value: Any, timeZone: str | None = None, existingFormat: str | None = None) -> str | None:
        """Time since 1970-01-01T00:00Z, as Kestra writes it: a text."""
        if value is None:
            return None
        moment = moment_of(value, zone_of(timeZone), existingFormat)
        return str(moment.epoch_second * per_second + moment.nano * per_second // 10**9)

    return timestamp


def now(format: str = "iso", timeZone: str | None = None, locale: str | None = None) -> str:
    """The current time, formatted like the `date` filter."""
    _check_locale(locale)
    return format_moment(Moment.now().in_zone(zone_of(timeZone)), format or "iso")


FILTERS: dict[str, Callable[..., Any]] = {
    "date": date,
    "dateAdd": date_add,
    "timestamp": _timestamp(1),
    "timestampMilli": _timestamp(10**3),
    "timestampMicro": _timestamp(10**6),
    "timestampNano": _timestamp(10**9),
}
FUNCTIONS: dict[str, Callable[..., Any]] = {"now": now}
