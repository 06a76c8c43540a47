"""Times of day with an offset (`09:00:00+01:00`), as Kestra's conditions and time windows write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone

_OFFSET_TIME = re.compile(r"(\d{2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?)(Z|[+-]\d{2}:\d{2})?", re.IGNORECASE)


def to_offset_time(text: str) -> tuple[time, timezone]:
    """`HH:MM[:SS[.fff]]` with `Z` or `±HH:MM`; no offset means UTC."""
    match = _OFFSET_TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a time like 09:00:00 or 09:00:00+01:00, not '{text}'")
    clock, offset = match.groups()
    moment = time.fromisoformat(clock.replace(",", ".")[:15])
    if offset is None or offset.upper() == "Z":
        return moment, UTC
    sign = -1 if offset[0] == "-" else 1
    return moment, timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


def on_day_of(moment: datetime, text: str) -> datetime:
    """The instant at which the time of day `text` falls on the (local, in its own offset) day of `moment`."""
    clock, zone = to_offset_time(text)
    day = moment.astimezone(zone).date()
    return datetime.combine(day, clock, zone)


def seconds_from_utc_midnight(clock: time, zone: timezone) -> float:
    """Java's OffsetTime order: a time compares as the instant it names on one shared day, offset applied."""
    offset = zone.utcoffset(None)
    seconds = clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1_000_000
    return seconds - offset.total_seconds()
