"""The reads of the follow hub's poll: a few queries a tick, whatever the number of followers."""

from __future__ import annotations

import operator
from collections.abc import Collection
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import Func, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from flowhub.api.sse import compact_json
from flowhub.exceptions import NotFound

from .log_cursor import LogCursor, id_ranges
from .models import Execution, LogEntry, TaskRun
from .selectors import execution_get
from .serializers import ExecutionSerializer, LogEntrySerializer


class JSONArrayLength(Func):
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="json_array_length", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="jsonb_array_length", **extra)


@dataclass(frozen=True)
class Snapshot:
    """An execution as a follower gets it: its JSON, and its position (see `execution_positions`)."""

    position: int
    terminal: bool
    json: str


def execution_positions(*, execution_ids: Collection[str]) -> dict[str, tuple[str, int]]:
    """The state and position of each execution that exists: its position counts the entries of its
    state history and of its task runs' (every state change adds one), so it moves on every change,
    even when several happen between two looks."""
    task_run_changes = (
        TaskRun.objects.filter(execution=OuterRef("pk"))
        .values("execution")
        .annotate(changes=Sum(JSONArrayLength("state_history")))
        .values("changes")
    )
    rows = Execution.objects.filter(pk__in=execution_ids).annotate(
        position=JSONArrayLength("state_history") + Coalesce(Subquery(task_run_changes), 0)
    )
    return {pk: (state, position) for pk, state, position in rows.values_list("pk", "state", "position")}


def execution_snapshot(*, execution_id: str) -> Snapshot | None:
    try:
        execution = execution_get(execution_id=execution_id)
    except NotFound:
        return None
    position = len(execution.state_history) + sum(len(run.state_history) for run in execution.task_runs.all())
    return Snapshot(position, execution.is_terminal, compact_json(ExecutionSerializer(execution).data))


@dataclass(frozen=True)
class LogFilter:
    """A follower's `minLevel`, `taskId` and `taskRunId`, for queries and for lines already read."""

    min_level: str | None = None
    task_id: str | None = None
    task_run_id: str | None = None

    def levels(self) -> tuple[str, ...]:
        return LogEntry.LEVELS[LogEntry.LEVELS.index(self.min_level) :] if self.min_level else LogEntry.LEVELS

    def q(self) -> Q:
        query = Q(level__in=self.levels()) if self.min_level else Q()
        if self.task_id is not None:
            query &= Q(task_id=self.task_id)
        if self.task_run_id is not None:
            query &= Q(task_run_id=self.task_run_id)
        return query

    def admits(self, level: str, task_id: str | None, task_run_id: str | None) -> bool:
        return level in self.levels() and self.task_id in (None, task_id) and self.task_run_id in (None, task_run_id)


def _ids_in(ids: Collection[int]) -> Q:
    runs = [Q(pk__range=run) for run in id_ranges(ids)]
    return reduce(operator.or_, runs) if runs else Q(pk__in=[])


def _after(cursor: LogCursor) -> Q:
    """The lines a follower at `cursor` has not been sent."""
    return Q(pk__gt=cursor.high) | _ids_in(cursor.pending)


def _visible_at(horizon: LogCursor) -> Q:
    """The lines the tick's scan found visible: at or below its high mark and not pending."""
    return Q(pk__lte=horizon.high) & ~_ids_in(horizon.pending)


def log_highest_id() -> int:
    return LogEntry.objects.aggregate(highest=Coalesce(Max("pk"), 0))["highest"]


def log_ids_visible(*, after: LogCursor) -> list[int]:
    """The ids of every execution's lines not seen at `after`: only ids, from the primary key's index."""
    return list(LogEntry.objects.filter(_after(after)).values_list("pk", flat=True))


def _lines(query: Q) -> QuerySet[LogEntry]:
    return LogEntry.objects.filter(query).select_related("execution").order_by("pk")


def log_lines_new(*, execution_ids: Collection[str], before: LogCursor, now: LogCursor) -> list[LogEntry]:
    """The lines of these executions that became visible between two ticks' scans, by id."""
    return list(_lines(Q(execution_id__in=execution_ids) & _after(before) & _visible_at(now)))


def log_lines_owed(
    *, execution_id: str, cursor: LogCursor, now: LogCursor, log_filter: LogFilter, limit: int
) -> list[LogEntry]:
    """Up to `limit` lines, by id, that a follower at `cursor` lacks and the tick's scan found visible."""
    query = Q(execution_id=execution_id) & _after(cursor) & _visible_at(now) & log_filter.q()
    return list(_lines(query)[:limit])


def log_lines_remain(*, execution_id: str, cursor: LogCursor, log_filter: LogFilter) -> bool:
    return LogEntry.objects.filter(Q(execution_id=execution_id) & _after(cursor) & log_filter.q()).exists()


def log_event_json(line: LogEntry) -> str:
    """Kestra's follow event: the LogEntry JSON with its tenant."""
    return compact_json({**LogEntrySerializer(line).data, "tenantId": "main"})
