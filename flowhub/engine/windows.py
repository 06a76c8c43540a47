"""The time windows within which a Flow trigger waits for several upstream flows to end: its
`preconditions`' `timeWindow`, and a MultipleCondition's `window` and `windowAdvance`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, model_validator

from .clock import on_day_of, to_offset_time
from .fields import Strict
from .inputs.temporal import to_duration


def _a_duration(text: str) -> str:
    to_duration(text)
    return text


def _a_window_length(text: str) -> str:
    if to_duration(text) <= timedelta():
        raise ValueError("must be longer than zero")
    return text


IsoDuration = Annotated[str, AfterValidator(_a_duration)]
"""An ISO-8601 duration, never an expression: Kestra reads windows as written."""

WindowLength = Annotated[str, AfterValidator(_a_window_length)]
"""An ISO-8601 duration longer than zero."""

DAY = timedelta(days=1)


class WindowType(StrEnum):
    DURATION_WINDOW = "DURATION_WINDOW"
    SLIDING_WINDOW = "SLIDING_WINDOW"
    DAILY_TIME_DEADLINE = "DAILY_TIME_DEADLINE"
    DAILY_TIME_WINDOW = "DAILY_TIME_WINDOW"


def _a_time(text: str | None) -> str | None:
    if text is not None:
        to_offset_time(text)
    return text


OffsetTime = Annotated[str | None, AfterValidator(_a_time)]


class TimeWindow(Strict):
    """When the upstream executions must have ended: within a window of `window` (a day by default)
    aligned on UTC midnight plus `windowAdvance`, the last `window` (sliding), before a daily `deadline`,
    or between a daily `startTime` and `endTime`. Daily times take an offset (`09:00:00+01:00`)."""

    type: WindowType = WindowType.DURATION_WINDOW
    window: WindowLength | None = None
    windowAdvance: IsoDuration | None = None
    deadline: OffsetTime = None
    startTime: OffsetTime = None
    endTime: OffsetTime = None

    @model_validator(mode="after")
    def _has_its_times(self) -> TimeWindow:
        if self.type == WindowType.DAILY_TIME_DEADLINE and self.deadline is None:
            raise ValueError("a DAILY_TIME_DEADLINE window needs 'deadline'")
        if self.type == WindowType.DAILY_TIME_WINDOW and (self.startTime is None or self.endTime is None):
            raise ValueError("a DAILY_TIME_WINDOW window needs 'startTime' and 'endTime'")
        return self

    def bounds(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The window `now` is in, or None when `now` is outside today's daily window."""
        length = to_duration(self.window) if self.window else DAY
        if self.type == WindowType.SLIDING_WINDOW:
            return now - length, now
        if self.type == WindowType.DURATION_WINDOW:
            midnight = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), UTC)
            anchor = midnight + (to_duration(self.windowAdvance) if self.windowAdvance else timedelta())
            if anchor > now:
                anchor -= DAY
            start = anchor + length * ((now - anchor) // length)
            return start, start + length
        if self.type == WindowType.DAILY_TIME_DEADLINE:
            assert self.deadline is not None
            end = on_day_of(now, self.deadline)
            start = end.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            assert self.startTime is not None and self.endTime is not None
            start, end = on_day_of(now, self.startTime), on_day_of(now, self.endTime)
        return (start, end) if start <= now <= end else None
