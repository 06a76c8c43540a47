"""Where a follower of an execution's log lines stands, exact although row ids commit out of order.

LogEntry ids come from one sequence, taken at INSERT, but transactions commit in their own order: a
worker's batch holding ids 100-110 can commit after another worker's 111-120. A follower that only
remembered "up to 120" would never get 100-110. So a cursor is a high mark plus the ids at or below it
that were not visible when it was made (`pending`): every line with an id above the mark or in
`pending` is still to be sent, every other one was sent.

A process learns which ids are pending from one scan of the new ids of the whole table per tick (ids
only, `LogHorizon`): an id under the highest one seen that is not there yet belongs to a transaction
still open, or rolled back. It stays pending until it shows up, or for `LATE_SECONDS`; so a line is
lost to followers only if its transaction commits more than that after a later line was seen, which
the short transactions that write logs never do.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

LATE_SECONDS = 60.0
MAX_PENDING = 10_000
"""Past this many open ids (a flood of rolled-back inserts) the oldest are given up first."""
STARTUP_LOOKBACK = 2_000
"""How far below the highest id a new horizon looks for ids still in flight."""

_CURSOR = re.compile(r"(\d{1,19})(?:~(\d{1,19}(?:-\d{1,19})?(?:,\d{1,19}(?:-\d{1,19})?)*))?")


def id_ranges(ids: Collection[int]) -> list[tuple[int, int]]:
    """`ids` as the fewest inclusive `(first, last)` runs, ascending."""
    runs: list[tuple[int, int]] = []
    for value in sorted(ids):
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


@dataclass(frozen=True)
class LogCursor:
    high: int
    pending: frozenset[int] = field(default_factory=frozenset)

    def __str__(self) -> str:
        if not self.pending:
            return str(self.high)
        runs = ",".join(str(a) if a == b else f"{a}-{b}" for a, b in id_ranges(self.pending))
        return f"{self.high}~{runs}"

    @classmethod
    def parse(cls, text: str) -> LogCursor:
        """The cursor an event id spells: `high` or `high~a-b,c` (ValueError when it spells none)."""
        match = _CURSOR.fullmatch(text)
        if match is None:
            raise ValueError(f"'{text[:80]}' is not a log stream position")
        pending: set[int] = set()
        for run in filter(None, (match.group(2) or "").split(",")):
            first, _, last = run.partition("-")
            low, high = int(first), int(last or first)
            if high < low or high - low >= MAX_PENDING or len(pending) + high - low >= MAX_PENDING:
                raise ValueError(f"'{text[:80]}' names too many or reversed pending ids")
            pending.update(range(low, high + 1))
        return cls(int(match.group(1)), frozenset(value for value in pending if value <= int(match.group(1))))


START = LogCursor(0)


def line_cursors(before: LogCursor, still_pending: Collection[int], line_ids: list[int]) -> list[LogCursor]:
    """The cursor after each line of a batch is sent, to a follower that stood at `before`.

    `line_ids` are the batch's ids in ascending order: the follower's lines that were visible this tick.
    `still_pending` are the ids the tick found not visible yet. After line i the follower still lacks
    the later lines of the batch, the ids still pending, and those it was owed above line i."""
    invisible = sorted(still_pending)
    cursors = []
    for index, line_id in enumerate(line_ids):
        high = max(before.high, line_id)
        owed = {value for value in before.pending if line_id < value <= high}
        later = {value for value in line_ids[index + 1 :] if value <= high} if high > line_id else set()
        cursors.append(LogCursor(high, frozenset(owed | later).union(invisible[: bisect_right(invisible, high)])))
    return cursors


class LogHorizon:
    """What this process knows of LogEntry ids: the highest seen, and those below it not yet visible.

    Immutable: a tick computes the next horizon and keeps it only once it has read its lines, so a tick
    that fails is read again in full."""

    def __init__(
        self,
        high: int | None = None,
        pending: dict[int, float] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.high = high
        self._pending = pending or {}
        self._clock = clock

    @property
    def cursor(self) -> LogCursor:
        assert self.high is not None, "the horizon has not seen the table yet"
        return LogCursor(self.high, frozenset(self._pending))

    def started(self, highest_id: int) -> LogHorizon:
        """A little below the highest id, so that ids still in flight there count as pending."""
        return LogHorizon(max(0, highest_id - STARTUP_LOOKBACK), clock=self._clock)

    def advanced(self, visible_ids: Iterable[int]) -> LogHorizon:
        """After a scan of the ids above the high mark and among the pending that are now visible."""
        assert self.high is not None, "started() comes first"
        now = self._clock()
        seen = set(visible_ids)
        top = max(seen, default=self.high)
        pending = {value: born for value, born in self._pending.items() if value not in seen}
        pending.update((value, now) for value in range(self.high + 1, top + 1) if value not in seen)
        pending = {value: born for value, born in pending.items() if born >= now - LATE_SECONDS}
        if len(pending) > MAX_PENDING:
            pending = dict(sorted(pending.items())[-MAX_PENDING:])
        return LogHorizon(max(self.high, top), pending, clock=self._clock)
