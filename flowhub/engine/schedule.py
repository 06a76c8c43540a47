"""When a Schedule trigger fires, and which of its due times one scheduler tick fires.

A cron expression has 5 fields, or 6 with the seconds first when `withSeconds` is true (as Kestra's
cron-utils reads it), or is a nickname such as `@hourly`. It is read in the trigger's `timezone` (UTC
when unset), and across daylight-saving changes it follows Vixie cron:

- an expression whose hour field is `*` runs by the wall clock: the times a spring-forward skips do
  not happen, and the hour a fall-back repeats runs twice;
- any other runs once per matching day: a time the clocks skip runs as much later as they jumped
  (02:30 becomes 03:30), and a time they repeat runs at its first occurrence only.

Every date here is timezone-aware; the answers are in UTC and whole seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from . import templating
from .inputs.temporal import to_duration

if TYPE_CHECKING:
    from .tasks.triggers import Schedule

NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_HOUR_FIELD = 1  # in croniter's expansion, with or without seconds
_OFFSET_REACH = timedelta(hours=3)
"""Further than any UTC offset change moves a wall clock: a time's offset is sampled this far on each side."""
_MAX_CANDIDATES = 10_000
"""A bound no real expression comes near (the walk stops a few candidates past the answer)."""


class CronClock:
    """The fire times of a cron expression in a time zone."""

    def __init__(self, cron: str, *, with_seconds: bool = False, timezone: str | None = None):
        expression = cron.strip()
        if nickname := NICKNAMES.get(expression.lower()):
            expression, with_seconds = nickname, False
        fields = 6 if with_seconds else 5
        if len(expression.split()) != fields or not croniter.is_valid(expression, second_at_beginning=with_seconds):
            seconds = " (seconds first, as withSeconds is true)" if with_seconds else ""
            raise ValueError(f"invalid cron expression '{cron}': expected {fields} fields{seconds} or a @nickname")
        self._expression = expression
        self._with_seconds = with_seconds
        self._zone: tzinfo = zone_named(timezone) if timezone else UTC
        expanded = croniter(expression, second_at_beginning=with_seconds).expanded
        self._by_wall_clock = expanded[_HOUR_FIELD] == ["*"]

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after `moment`; None if the expression never matches again."""
        lowest, _ = self._offsets_near(moment)
        best: datetime | None = None
        horizon: datetime | None = None  # a wall time past it fires after `best`
        for wall in self._walls(_naive_utc(moment) + lowest, forward=True):
            if horizon is not None and wall > horizon:
                break
            for instant in self._instants(wall):
                if instant > moment and (best is None or instant < best):
                    best = instant
                    horizon = _naive_utc(best) + self._offsets_near(best)[1]
        return best

    def previous_before(self, moment: datetime) -> datetime | None:
        """The last fire time strictly before `moment`; None if there is none."""
        _, highest = self._offsets_near(moment)
        best: datetime | None = None
        horizon: datetime | None = None  # a wall time before it fired before `best`
        for wall in self._walls(_naive_utc(moment) + highest, forward=False):
            if horizon is not None and wall < horizon:
                break
            for instant in self._instants(wall):
                if instant < moment and (best is None or instant > best):
                    best = instant
                    horizon = _naive_utc(best) + self._offsets_near(best)[0]
        return best

    def first_from(self, moment: datetime) -> datetime | None:
        """The first fire time at or after `moment`."""
        return self.next_after(moment - timedelta(microseconds=1))

    def _walls(self, start: datetime, forward: bool) -> Iterator[datetime]:
        """The matching wall-clock times (naive) after, or before, the naive `start`, nearest first."""
        walk = croniter(self._expression, start, second_at_beginning=self._with_seconds)
        try:
            for _ in range(_MAX_CANDIDATES):
                yield walk.get_next(datetime) if forward else walk.get_prev(datetime)
        except CroniterBadDateError:  # no further match (30 February), or past the calendar's range
            return

    def _instants(self, wall: datetime) -> tuple[datetime, ...]:
        """The moments (UTC) at which the naive wall-clock time `wall` fires, in order."""
        first = wall.replace(tzinfo=self._zone)
        second = wall.replace(tzinfo=self._zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return (first.astimezone(UTC),)
        if first.astimezone(UTC).astimezone(self._zone).replace(tzinfo=None) == wall:  # shown twice
            both = (first.astimezone(UTC), second.astimezone(UTC))
            return both if self._by_wall_clock else both[:1]
        # Skipped: fold 0 reads it with the offset before the jump, which lands as much later as the jump.
        return () if self._by_wall_clock else (first.astimezone(UTC),)

    def _offsets_near(self, moment: datetime) -> tuple[timedelta, timedelta]:
        """The lowest and highest UTC offsets of the zone within reach of `moment`."""
        offsets = [
            (moment + shift).astimezone(self._zone).utcoffset() or timedelta(0)
            for shift in (-_OFFSET_REACH, timedelta(0), _OFFSET_REACH)
        ]
        return min(offsets), max(offsets)


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'") from None


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_moment(text: str, timezone: str | None = None) -> datetime:
    """An ISO-8601 date-time; one without an offset is read in `timezone` (UTC when unset)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_named(timezone) if timezone else UTC)
    return moment


def iso_seconds(moment: datetime) -> str:
    """As Kestra writes `trigger.date`: ISO-8601 in UTC with a `Z`, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- A Schedule trigger's dates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A Schedule's `backfill`: its times from `start` (to `end`, if given) fire even when they are missed."""

    start: datetime
    end: datetime | None

    def __contains__(self, date: datetime) -> bool:
        return self.start <= date and (self.end is None or date <= self.end)


@dataclass(frozen=True)
class Plan:
    """What a tick does with a due Schedule: fire these dates, in order, then wait for `next_date`."""

    fires: tuple[datetime, ...]
    next_date: datetime | None


def clock_of(schedule: Schedule) -> CronClock:
    return CronClock(schedule.cron, with_seconds=schedule.withSeconds, timezone=schedule.timezone)


def backfill_window(schedule: Schedule) -> Window | None:
    if schedule.backfill is None:
        return None
    end = schedule.backfill.end
    return Window(
        start=parse_moment(schedule.backfill.start, schedule.timezone),
        end=parse_moment(end, schedule.timezone) if end else None,
    )


def first_date(schedule: Schedule, *, last_date: datetime | None, now: datetime) -> datetime | None:
    """The next date of a Schedule whose next date is not known yet: after the date it last fired for, else
    after `now`; with a backfill, from its start unless it already fired past it."""
    clock = clock_of(schedule)
    window = backfill_window(schedule)
    if window is None:
        return clock.next_after(last_date or now)
    if last_date is not None and last_date >= window.start:
        return clock.next_after(last_date)
    return clock.first_from(window.start)


def lateness(schedule: Schedule, default: timedelta) -> timedelta:
    """How late a due time may still fire: `lateMaximumDelay`, else `default`. An expression cannot be read
    without a run, and Kestra takes only a plain duration here: it counts as unset."""
    delay = schedule.lateMaximumDelay
    if delay is None or templating.is_template(delay):
        return default
    return to_duration(delay)


def schedule_plan(schedule: Schedule, *, due: datetime, now: datetime, limit: int, default_lateness: timedelta) -> Plan:
    """The dates from `due` to `now` to fire, at most `limit` of them, and the next date after them.

    A date later than its lateness (see `lateness`) is missed: it fires only inside the backfill window, or
    by `recoverMissedSchedules` (ALL: each one, LAST: the latest of a run of missed dates), which
    `lateMaximumDelay` overrules as it does in Kestra.
    """
    clock = clock_of(schedule)
    window = backfill_window(schedule)
    cutoff = now - lateness(schedule, default_lateness)
    recover = "NONE" if schedule.lateMaximumDelay is not None else (schedule.recoverMissedSchedules or "NONE")
    fires: list[datetime] = []
    date: datetime | None = due
    while date is not None and date <= now and len(fires) < limit:
        if date >= cutoff or recover == "ALL" or (window is not None and date in window):
            fires.append(date)
            date = clock.next_after(date)
            continue
        # A run of missed dates: skip to the first one on time, or to the window's start if that comes first.
        resume_at = window.start if window is not None and date < window.start < cutoff else cutoff
        if recover == "LAST" and (latest := clock.previous_before(resume_at)) is not None and latest >= date:
            fires.append(latest)
        date = clock.first_from(resume_at)
    return Plan(tuple(fires), date)


def backfill_plan(schedule: Schedule, *, current: datetime, end: datetime, now: datetime, limit: int) -> Plan:
    """The dates of a backfill to fire, at most `limit`: those from `current` (included) to `end` that have come by
    `now`; then the date it goes on from, None once it is past `end`. Lateness plays no part: every date of a
    backfill is late."""
    clock = clock_of(schedule)
    fires: list[datetime] = []
    date = clock.first_from(current)
    while date is not None and date <= end and date <= now and len(fires) < limit:
        fires.append(date)
        date = clock.next_after(date)
    return Plan(tuple(fires), date if date is not None and date <= end else None)


def trigger_variables(schedule: Schedule, date: datetime) -> dict[str, str]:
    """`trigger.date`, `trigger.next` and `trigger.previous` of the execution fired for `date`."""
    clock = clock_of(schedule)
    variables = {"date": iso_seconds(date)}
    if (following := clock.next_after(date)) is not None:
        variables["next"] = iso_seconds(following)
    if (preceding := clock.previous_before(date)) is not None:
        variables["previous"] = iso_seconds(preceding)
    return variables
