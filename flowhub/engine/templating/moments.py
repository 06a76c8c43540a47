"""A date-time with its zone, to the nanosecond, as Java's ZonedDateTime is; and Java's zone ids."""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = ZoneInfo("UTC")  # Kestra formats in the server's zone; flowhub's servers run in UTC
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = 10**9
_OFFSET = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?")
_PREFIXED_OFFSET = re.compile(r"(?:UTC|GMT|UT)([+-].*)")
_TIME_UNITS = {
    "NANOS": 1,
    "MICROS": 10**3,
    "MILLIS": 10**6,
    "SECONDS": _SECOND,
    "MINUTES": 60 * _SECOND,
    "HOURS": 3600 * _SECOND,
    "HALF_DAYS": 12 * 3600 * _SECOND,
}
_DAY_UNITS = {"DAYS": 1, "WEEKS": 7}
_MONTH_UNITS = {"MONTHS": 1, "YEARS": 12, "DECADES": 120, "CENTURIES": 1200, "MILLENNIA": 12000}


@dataclass(frozen=True)
class Moment:
    """`at` is an aware datetime without its microseconds, which `nano` holds to the nanosecond."""

    at: datetime
    nano: int = 0

    @classmethod
    def of(cls, value: datetime) -> Moment:
        return cls(value.replace(microsecond=0), value.microsecond * 1000)

    @classmethod
    def of_epoch_nanos(cls, nanos: int, zone: tzinfo) -> Moment:
        seconds, nano = divmod(nanos, _SECOND)
        return cls((_EPOCH + timedelta(seconds=seconds)).astimezone(zone), nano)

    @classmethod
    def now(cls) -> Moment:
        return cls.of_epoch_nanos(time.time_ns(), DEFAULT_ZONE)

    @property
    def epoch_second(self) -> int:
        return (self.at - _EPOCH) // timedelta(seconds=1)

    def in_zone(self, zone: tzinfo) -> Moment:
        return Moment(self.at.astimezone(zone), self.nano)

    def plus(self, amount: int, unit: str) -> Moment:
        """Java's `ZonedDateTime.plus(amount, ChronoUnit)`: hours and smaller move on the timeline,
        days and larger on the calendar (a month later is the same day, or the month's last)."""
        unit = unit.upper()
        if unit in _TIME_UNITS:
            nanos = self.epoch_second * _SECOND + self.nano + amount * _TIME_UNITS[unit]
            return Moment.of_epoch_nanos(nanos, self.at.tzinfo or DEFAULT_ZONE)
        if unit in _DAY_UNITS:
            return Moment(self.at + timedelta(days=amount * _DAY_UNITS[unit]), self.nano)
        if unit in _MONTH_UNITS:
            return Moment(_plus_months(self.at, amount * _MONTH_UNITS[unit]), self.nano)
        units = ", ".join([*_TIME_UNITS, *_DAY_UNITS, *_MONTH_UNITS])
        raise ValueError(f"unknown unit '{unit}': use one of {units}")


def _plus_months(value: datetime, months: int) -> datetime:
    years, month_index = divmod(value.month - 1 + months, 12)
    year, month = value.year + years, month_index + 1
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


def zone_of(name: str | None) -> tzinfo:
    """Java's `ZoneId.of`: a region (`Europe/Paris`, `UTC`), `Z`, an offset (`+02:00`) or a prefixed one
    (`UTC+2`); the default zone when no name is given."""
    if name is None:
        return DEFAULT_ZONE
    name = str(name)
    if name == "Z":
        return UTC
    if prefixed := _PREFIXED_OFFSET.fullmatch(name):
        name = prefixed.group(1)
    if offset := offset_zone(name):
        return offset
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'") from None


def offset_zone(text: str) -> timezone | None:
    """The fixed zone of an offset like `+02:00`, `-0530` or `Z`; None if `text` is not an offset."""
    if text in ("Z", "z"):
        return UTC
    match = _OFFSET.fullmatch(text)
    if match is None:
        return None
    sign, hours, minutes, seconds = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
    if delta > timedelta(hours=18):
        raise ValueError(f"the offset '{text}' is beyond 18 hours")
    return timezone(-delta if sign == "-" else delta)


def zone_id(zone: tzinfo | None) -> str:
    """The zone's id as Java writes it: `Europe/Paris`, `Z`, `+02:00`."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    return offset_id(zone.utcoffset(None) if zone is not None else timedelta(0))


def offset_id(offset: timedelta | None) -> str:
    total = int(offset.total_seconds()) if offset is not None else 0
    if total == 0:
        return "Z"
    sign, total = ("-" if total < 0 else "+"), abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
