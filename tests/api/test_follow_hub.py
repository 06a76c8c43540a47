"""The follow hub's positions and polls, driven tick by tick on a real database (the HTTP side is in
tests/e2e/test_follow_e2e.py)."""

import asyncio

import pytest
from django.utils import timezone

from executions.log_cursor import LATE_SECONDS, START, STARTUP_LOOKBACK, LogCursor, LogHorizon, line_cursors
from executions.models import LogEntry
from executions.services import execution_create
from executions.stream_selectors import LogFilter, log_highest_id
from executions.streams import MAX_QUEUED_BYTES, Backlog, Follower, Poller, TickRequest
from namespaces.services import flow_create
from tests.api.drive import run_to_end

from .helpers import flow


def test_a_position_spells_its_pending_ids_as_runs_and_reads_back():
    cursor = LogCursor(120, frozenset([*range(100, 111), 115]))
    assert str(cursor) == "120~100-110,115"
    assert LogCursor.parse(str(cursor)) == cursor
    assert LogCursor.parse("42") == LogCursor(42) and str(START) == "0"


@pytest.mark.parametrize("text", ["", "abc", "10~", "10~5-3", "10~1-99999", "-1", "10~a", "1" * 20])
def test_a_position_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        LogCursor.parse(text)


def test_each_line_of_a_batch_leaves_the_follower_owing_exactly_what_it_has_not_been_sent():
    # Live: 11 and 13 became visible, 12 is still in an open transaction.
    assert line_cursors(LogCursor(10), {12}, [11, 13]) == [LogCursor(11), LogCursor(13, frozenset({12}))]
    # Late lines below the high mark: after the first, the second is still owed.
    late = line_cursors(LogCursor(120, frozenset({100, 105})), set(), [100, 105])
    assert late == [LogCursor(120, frozenset({105})), LogCursor(120)]


def test_the_horizon_holds_missing_ids_pending_until_they_show_or_are_too_late():
    now = [0.0]
    horizon = LogHorizon(clock=lambda: now[0]).started(0).advanced([1, 2, 4, 7])
    assert horizon.cursor == LogCursor(7, frozenset({3, 5, 6}))
    horizon = horizon.advanced([5])
    assert horizon.cursor == LogCursor(7, frozenset({3, 6}))
    now[0] = LATE_SECONDS + 1
    assert horizon.advanced([8]).cursor == LogCursor(8)
    assert LogHorizon().started(5000).cursor == LogCursor(5000 - STARTUP_LOOKBACK)


def test_a_follower_too_far_behind_is_cut_off_with_nothing_queued():
    follower = Follower("some-execution")
    follower.send(b"x" * (MAX_QUEUED_BYTES - 10))
    follower.send(b"y" * 20)
    assert follower.closed
    assert asyncio.run(follower.next_chunk()) is None


@pytest.fixture
def execution(db):
    return execution_create(flow=flow_create(source=flow("streamed", "acme")), inputs={}, labels=[])


def line(execution, line_id: int, message: str) -> LogEntry:
    return LogEntry.objects.create(
        id=line_id, execution=execution, level="INFO", message=message, timestamp=timezone.now()
    )


def backlog_tick(poller: Poller, execution_id: str, cursor: LogCursor) -> list[tuple[LogCursor, str]]:
    request = TickRequest(frozenset({execution_id}), {}, frozenset(), (Backlog(7, execution_id, cursor, LogFilter()),))
    events, more = poller.poll(request).backlogs[7]
    assert more is None
    return [sent(event.chunk) for event in events]


def live_tick(poller: Poller, execution_id: str) -> list[tuple[LogCursor, str]]:
    request = TickRequest(frozenset({execution_id}), {}, frozenset({execution_id}), ())
    return [sent(event.chunk) for event in poller.poll(request).live_lines[execution_id]]


def sent(chunk: bytes) -> tuple[LogCursor, str]:
    id_line, data_line, *_ = chunk.decode().split("\n")
    return LogCursor.parse(id_line.removeprefix("id: ")), data_line.split('"message":"')[1].split('"')[0]


def test_a_line_committed_after_a_later_one_is_still_sent_once(execution):
    other = execution_create(flow=flow_create(source=flow("other", "acme")), inputs={}, labels=[])
    base = log_highest_id()
    poller = Poller()
    line(execution, base + 3, "third")  # its transaction committed first
    line(other, base + 4, "someone else's")
    (after_third, message), *rest = backlog_tick(poller, execution.id, START)
    assert (message, rest) == ("third", [])
    assert {base + 1, base + 2} <= after_third.pending, "ids taken by open transactions stay owed"

    line(execution, base + 1, "first")  # committed late, with a lower id
    [(after_first, message)] = live_tick(poller, execution.id)
    assert message == "first"
    assert base + 2 in after_first.pending and base + 1 not in after_first.pending
    assert live_tick(poller, execution.id) == []

    # A follower resuming after "third" gets "first" (committed since), never "third" again.
    assert [message for _, message in backlog_tick(Poller(), execution.id, after_third)] == ["first"]
    line(execution, base + 2, "second")
    assert [message for _, message in live_tick(poller, execution.id)] == ["second"]
    assert [message for _, message in backlog_tick(Poller(), execution.id, after_first)] == ["second"]


def test_the_position_moves_with_every_state_change_of_the_execution_or_its_task_runs(execution):
    poller = Poller()
    created = poller.poll(TickRequest(frozenset({execution.id}), {execution.id: None}, frozenset(), ()))
    assert created.states[execution.id] == ("CREATED", 1)
    assert (created.snapshots[execution.id].position, created.snapshots[execution.id].terminal) == (1, False)

    ended = run_to_end(execution.id)
    changes = len(ended.state_history) + sum(len(run.state_history) for run in ended.task_runs.all())
    assert changes > 3
    polled = poller.poll(TickRequest(frozenset({execution.id}), {execution.id: 1}, frozenset(), ()))
    assert polled.states[execution.id] == ("SUCCESS", changes)
    assert (polled.snapshots[execution.id].position, polled.snapshots[execution.id].terminal) == (changes, True)
    unchanged = poller.poll(TickRequest(frozenset({execution.id}), {execution.id: changes}, frozenset(), ()))
    assert unchanged.snapshots == {}, "an execution that did not change is not read again"
