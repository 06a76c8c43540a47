"""Conditions about a date: the trigger's (a Schedule's), one an expression gives, or the time of evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

from pydantic import field_validator

from flowhub.engine import templating
from flowhub.engine.clock import seconds_from_utc_midnight, to_offset_time

from .base import ConditionContext, ConditionDefinition, ConditionError, bound, names, rendered_as


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


WEEK = list(DayOfWeek)


class Dated(ConditionDefinition):
    """A condition about a date: `date` when given (an expression, usually, read in its own offset), else the
    trigger's date (a Schedule's `trigger.date`), else the time of evaluation, both read in the context's zone."""

    date: str | None = None

    def moment(self, context: ConditionContext) -> datetime:
        if self.date is not None:
            return rendered_as(self.date, context, _moment)
        trigger_date = context.variables.get("trigger", {}).get("date")
        moment = context.now if trigger_date is None else rendered_as(str(trigger_date), context, _moment)
        return moment.astimezone(context.zone)


class DayWeek(Dated):
    """The date falls on this day of the week."""

    TYPE, ALIASES = names("DayWeek")
    dayOfWeek: DayOfWeek

    def holds(self, context: ConditionContext) -> bool:
        return WEEK[self.moment(context).weekday()] == self.dayOfWeek


class DayInMonth(StrEnum):
    FIRST = "FIRST"
    SECOND = "SECOND"
    THIRD = "THIRD"
    FOURTH = "FOURTH"
    LAST = "LAST"


class DayWeekInMonth(Dated):
    """The date is the first (second, …, last) such day of the week of its month."""

    TYPE, ALIASES = names("DayWeekInMonth")
    dayOfWeek: DayOfWeek
    dayInMonth: DayInMonth

    def holds(self, context: ConditionContext) -> bool:
        day = self.moment(context).date()
        if WEEK[day.weekday()] != self.dayOfWeek:
            return False
        if self.dayInMonth == DayInMonth.LAST:
            return (day.day + 7) > _days_in_month(day.year, day.month)
        return (day.day - 1) // 7 == list(DayInMonth).index(self.dayInMonth)


class Weekend(Dated):
    """The date is a Saturday or a Sunday."""

    TYPE, ALIASES = names("Weekend")

    def holds(self, context: ConditionContext) -> bool:
        return self.moment(context).weekday() >= 5


class DateTimeBetween(Dated):
    """The date is within `after` and `before` (ISO date-times with a zone), bounds included."""

    TYPE, ALIASES = names("DateTimeBetween")
    after: str | None = None
    before: str | None = None

    @field_validator("after", "before")
    @classmethod
    def _is_a_date_time(cls, value: str | None) -> str | None:
        if value is not None and not templating.is_template(value):
            _moment(value)
        return value

    def holds(self, context: ConditionContext) -> bool:
        if self.after is None and self.before is None:
            raise ConditionError("give 'after', 'before' or both")
        moment = self.moment(context)
        after, before = (bound(text, context, _moment) for text in (self.after, self.before))
        return (after is None or moment >= after) and (before is None or moment <= before)


class TimeBetween(Dated):
    """The date's time of day is strictly between `after` and `before` (times with an offset)."""

    TYPE, ALIASES = names("TimeBetween")
    after: str | None = None
    before: str | None = None

    @field_validator("after", "before")
    @classmethod
    def _is_a_time(cls, value: str | None) -> str | None:
        if value is not None and not templating.is_template(value):
            to_offset_time(value)
        return value

    def holds(self, context: ConditionContext) -> bool:
        if self.after is None and self.before is None:
            raise ConditionError("give 'after', 'before' or both")
        moment = self.moment(context)
        offset = moment.utcoffset() or timedelta()
        current = seconds_from_utc_midnight(moment.time(), timezone(offset))
        after, before = (bound(text, context, _time_of_day) for text in (self.after, self.before))
        return (after is None or current > after) and (before is None or current < before)


def _moment(text: str) -> datetime:
    """An ISO date or date-time, in its own offset (UTC when it has none), as Kestra's DateUtils reads it."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _time_of_day(text: str) -> float:
    return seconds_from_utc_midnight(*to_offset_time(text))


def _days_in_month(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - datetime(year, month, 1)).days
