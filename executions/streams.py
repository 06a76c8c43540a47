"""The follow hub: one polling loop per process serves every SSE follower of executions and of logs.

Each tick it reads, in its one thread, for all followed executions together: their states and positions,
the JSON of those that changed, and the log lines that became visible (`stream_selectors`); then it puts
each follower's events in that follower's queue, which its HTTP response drains. The thread closes its
database connection after each tick, so nothing holds one while followers wait. The hub runs while
someone follows, and starts again with the next follower.

Event ids: `start` and `end` as Kestra sends them; between them an execution's progress events carry its
position (see `execution_positions`) and log events a `LogCursor`, so that `Last-Event-ID` resumes a
stream exactly where it stopped.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections

from flowhub.api.sse import compact_json, sse_event, with_keepalive
from flowhub.engine.states import TERMINAL
from flowhub.engine.states import State as EngineState

from . import stream_selectors as reads
from .log_cursor import LogCursor, LogHorizon, line_cursors
from .models import LogEntry
from .stream_selectors import LogFilter, Snapshot

logger = logging.getLogger(__name__)

BACKLOG_LINES = 1000
"""Lines a new follower is sent per tick until it has caught up: a long log does not stall the others."""
MAX_QUEUED_BYTES = 16 * 1024 * 1024
"""A follower further behind is disconnected; it reconnects with its last event id and loses nothing."""

_POLL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="follow-hub")
_keys = itertools.count()


class Follower:
    """One open stream: what the hub has for it, queued until its response sends it."""

    def __init__(self, execution_id: str) -> None:
        self.key = next(_keys)
        self.execution_id = execution_id
        self.closed = False
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._queued_bytes = 0

    def send(self, chunk: bytes) -> None:
        if self.closed:
            return
        if self._queued_bytes + len(chunk) > MAX_QUEUED_BYTES:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queued_bytes = 0
            self.close()
            return
        self._queued_bytes += len(chunk)
        self._queue.put_nowait(chunk)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(None)

    async def next_chunk(self) -> bytes | None:
        chunk = await self._queue.get()
        self._queued_bytes -= len(chunk or b"")
        return chunk


class ExecutionFollower(Follower):
    def __init__(self, execution_id: str, position: int | None) -> None:
        super().__init__(execution_id)
        self.position = position

    def advance(self, snapshot: Snapshot) -> None:
        if snapshot.terminal:
            self.send(sse_event("end", snapshot.json))
            self.close()
        elif snapshot.position != self.position:
            self.send(sse_event(str(snapshot.position), snapshot.json))
            self.position = snapshot.position


class LogFollower(Follower):
    """Caught up, it takes the lines each tick makes visible; before that, its backlog from `cursor`."""

    def __init__(self, execution_id: str, cursor: LogCursor, log_filter: LogFilter) -> None:
        super().__init__(execution_id)
        self.cursor = cursor
        self.log_filter = log_filter
        self.caught_up = False


@dataclass(frozen=True)
class LogEvent:
    level: str
    task_id: str | None
    task_run_id: str | None
    chunk: bytes


@dataclass(frozen=True)
class Backlog:
    key: int
    execution_id: str
    cursor: LogCursor
    log_filter: LogFilter


@dataclass(frozen=True)
class TickRequest:
    execution_ids: frozenset[str]
    """Every execution followed or awaited."""
    snapshots_held: dict[str, int | None]
    """Executions followed for their state, with the position of the JSON the hub holds."""
    live_logs: frozenset[str]
    """Executions with caught-up log followers."""
    backlogs: tuple[Backlog, ...]


@dataclass
class TickResult:
    states: dict[str, tuple[str, int]] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    live_lines: dict[str, list[LogEvent]] = field(default_factory=dict)
    backlogs: dict[int, tuple[list[LogEvent], LogCursor | None]] = field(default_factory=dict)
    """By follower key: its lines, and the cursor it stands at if more remain."""


class Poller:
    """A tick's reads; the log horizon it keeps lives as long as someone follows logs."""

    def __init__(self) -> None:
        self.horizon = LogHorizon()

    def poll(self, request: TickRequest) -> TickResult:
        # The states come first: lines committed before an execution ended are then visible to the
        # scan below, which is what lets a log stream end on the tick that sees the terminal state.
        result = TickResult(states=reads.execution_positions(execution_ids=request.execution_ids))
        for execution_id, held in request.snapshots_held.items():
            state = result.states.get(execution_id)
            changed = state is not None and state[1] != held
            if changed and (snapshot := reads.execution_snapshot(execution_id=execution_id)):
                result.snapshots[execution_id] = snapshot
        if not (request.live_logs or request.backlogs):
            self.horizon = LogHorizon()
            return result
        horizon = self.horizon if self.horizon.high is not None else self.horizon.started(reads.log_highest_id())
        before = horizon.cursor
        horizon = horizon.advanced(reads.log_ids_visible(after=before))
        now = horizon.cursor
        lines = reads.log_lines_new(execution_ids=request.live_logs, before=before, now=now)
        for execution_id in request.live_logs:
            batch = [line for line in lines if line.execution_id == execution_id]
            cursors = line_cursors(before, now.pending, [line.pk for line in batch])
            result.live_lines[execution_id] = _events(batch, cursors)
        for backlog in request.backlogs:
            batch = reads.log_lines_owed(
                execution_id=backlog.execution_id, cursor=backlog.cursor, now=now,
                log_filter=backlog.log_filter, limit=BACKLOG_LINES,
            )  # fmt: skip
            cursors = line_cursors(backlog.cursor, now.pending, [line.pk for line in batch])
            more = cursors[-1] if len(batch) == BACKLOG_LINES else None
            result.backlogs[backlog.key] = (_events(batch, cursors), more)
        self.horizon = horizon  # only now: had a query failed, the next tick would read these lines again
        return result


def _events(lines: list[LogEntry], cursors: list[LogCursor]) -> list[LogEvent]:
    return [
        LogEvent(line.level, line.task_id, line.task_run_id, sse_event(str(cursor), reads.log_event_json(line)))
        for line, cursor in zip(lines, cursors, strict=True)
    ]


def _poll_and_disconnect(poller: Poller, request: TickRequest) -> TickResult:
    try:
        return poller.poll(request)
    finally:
        connections.close_all()


class FollowHub:
    """Followers of one event loop (the ASGI server's), served by one loop of ticks."""

    def __init__(self) -> None:
        self._followers: dict[str, set[Follower]] = defaultdict(set)
        self._awaited: dict[str, set[asyncio.Future[None]]] = defaultdict(set)
        self._snapshots: dict[str, Snapshot] = {}
        self._task: asyncio.Task[None] | None = None

    def follow(self, follower: Follower) -> None:
        self._followers[follower.execution_id].add(follower)
        self._wake()

    def unfollow(self, follower: Follower) -> None:
        followers = self._followers.get(follower.execution_id, set())
        followers.discard(follower)
        if not followers:
            self._followers.pop(follower.execution_id, None)
        if not any(isinstance(other, ExecutionFollower) for other in followers):
            self._snapshots.pop(follower.execution_id, None)

    async def appeared(self, execution_id: str, timeout: float) -> bool:
        """Whether the execution exists within `timeout` seconds (checked each tick)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._awaited[execution_id].add(future)
        self._wake()
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            waiting = self._awaited.get(execution_id, set())
            waiting.discard(future)
            if not waiting:
                self._awaited.pop(execution_id, None)

    def _wake(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        poller = Poller()
        interval = settings.FLOWHUB_FOLLOW_POLL_MS / 1000
        try:
            while self._followers or self._awaited:
                began = loop.time()
                request = self._request()
                try:
                    result = await loop.run_in_executor(_POLL_THREAD, _poll_and_disconnect, poller, request)
                except Exception:
                    logger.exception("the follow hub's poll failed; it tries again next tick")
                else:
                    self._deliver(request, result)
                await asyncio.sleep(max(0.0, interval - (loop.time() - began)))
        finally:
            self._task = None

    def _request(self) -> TickRequest:
        followers = [follower for group in self._followers.values() for follower in group]
        logs = [follower for follower in followers if isinstance(follower, LogFollower)]
        return TickRequest(
            execution_ids=frozenset(self._followers) | frozenset(self._awaited),
            snapshots_held={
                follower.execution_id: held.position if (held := self._snapshots.get(follower.execution_id)) else None
                for follower in followers
                if isinstance(follower, ExecutionFollower)
            },
            live_logs=frozenset(follower.execution_id for follower in logs if follower.caught_up),
            backlogs=tuple(
                Backlog(follower.key, follower.execution_id, follower.cursor, follower.log_filter)
                for follower in logs
                if not follower.caught_up
            ),
        )

    def _deliver(self, request: TickRequest, result: TickResult) -> None:
        for execution_id in result.states:
            for future in self._awaited.pop(execution_id, set()):
                if not future.done():
                    future.set_result(None)
        for execution_id, snapshot in result.snapshots.items():
            if any(isinstance(follower, ExecutionFollower) for follower in self._followers.get(execution_id, ())):
                self._snapshots[execution_id] = snapshot
        for execution_id, followers in list(self._followers.items()):
            if execution_id not in request.execution_ids:
                continue  # followed since the tick began: the next one reads it
            state = result.states.get(execution_id)
            for follower in list(followers):
                if state is None:
                    follower.close()  # deleted
                elif isinstance(follower, ExecutionFollower):
                    if snapshot := self._snapshots.get(execution_id):
                        follower.advance(snapshot)
                elif isinstance(follower, LogFollower):
                    _advance_logs(follower, result, ended=EngineState(state[0]) in TERMINAL)


def _advance_logs(follower: LogFollower, result: TickResult, *, ended: bool) -> None:
    if follower.caught_up:
        for event in result.live_lines.get(follower.execution_id, []):
            if follower.log_filter.admits(event.level, event.task_id, event.task_run_id):
                follower.send(event.chunk)
    elif (backlog := result.backlogs.get(follower.key)) is not None:
        events, more = backlog
        for event in events:
            follower.send(event.chunk)
        if more is None:
            follower.caught_up = True
        else:
            follower.cursor = more
    if ended and follower.caught_up:
        follower.close()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FollowHub] = weakref.WeakKeyDictionary()


def follow_hub() -> FollowHub:
    """The hub of the running event loop: under an ASGI server, the one of the process."""
    loop = asyncio.get_running_loop()
    if (hub := _hubs.get(loop)) is None:
        hub = _hubs[loop] = FollowHub()
    return hub


async def execution_events(*, execution_id: str, position: int | None, send_start: bool) -> AsyncIterator[bytes]:
    """An execution's stream: `start`, its JSON at each change (`position` is where a resumed stream was),
    `end` with its terminal JSON."""
    follower = ExecutionFollower(execution_id, position)
    if send_start:
        follower.send(sse_event("start", compact_json({"id": execution_id})))
    async for chunk in _served(follower):
        yield chunk


async def log_events(
    *, execution_id: str, cursor: LogCursor, log_filter: LogFilter, send_start: bool
) -> AsyncIterator[bytes]:
    """An execution's log stream: `start` (empty), the lines it has, then new ones until it has ended."""
    follower = LogFollower(execution_id, cursor, log_filter)
    if send_start:
        follower.send(sse_event("start", "{}"))
    async for chunk in _served(follower):
        yield chunk


def connection_release() -> None:
    """Close this thread's database connection, unless a transaction (a test's) still needs it."""
    if not connection.in_atomic_block:
        connection.close()


async def _served(follower: Follower) -> AsyncIterator[bytes]:
    # The request's thread opened a connection to authenticate; the stream must not keep it for an hour.
    await sync_to_async(connection_release)()
    hub = follow_hub()
    hub.follow(follower)
    try:
        async for chunk in with_keepalive(
            follower.next_chunk,
            keepalive_seconds=settings.FLOWHUB_FOLLOW_KEEPALIVE_SECONDS,
            max_seconds=settings.FLOWHUB_FOLLOW_MAX_SECONDS,
        ):
            yield chunk
    finally:
        hub.unfollow(follower)
