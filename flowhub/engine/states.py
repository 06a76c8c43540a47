"""Execution and task-run state machines (DESIGN.md §5).

The apps persist states; this module decides which changes are legal. A forbidden change raises
`IllegalTransitionError`: it is a bug to attempt one, never something to paper over.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .errors import IllegalTransitionError


class State(StrEnum):
    CREATED = "CREATED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RESTARTED = "RESTARTED"
    KILLING = "KILLING"
    RETRYING = "RETRYING"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    FAILED = "FAILED"
    KILLED = "KILLED"
    CANCELLED = "CANCELLED"
    SKIPPED = "SKIPPED"
    RETRIED = "RETRIED"
    """An execution that failed and handed over to a new one (a flow `retry` with CREATE_NEW_EXECUTION)."""


TERMINAL = frozenset(
    {State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED, State.SKIPPED, State.RETRIED}
)
_FINISHED_EXECUTION = frozenset(
    {State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED, State.RETRIED}
)
_ENDED_TASK_RUN = frozenset({State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.SKIPPED})

EXECUTION_TRANSITIONS: dict[State, frozenset[State]] = {
    State.CREATED: frozenset({State.RUNNING, State.QUEUED, State.FAILED, State.CANCELLED, State.KILLED}),
    State.QUEUED: frozenset({State.RUNNING, State.CANCELLED, State.KILLED}),
    State.RUNNING: frozenset(
        {State.SUCCESS, State.WARNING, State.FAILED, State.PAUSED, State.KILLING, State.RETRYING, State.RETRIED}
    ),
    # CANCELLED: a Pause task's wait ended with `behavior: CANCEL`.
    State.PAUSED: frozenset({State.RUNNING, State.KILLING, State.CANCELLED}),
    State.KILLING: frozenset({State.KILLED}),
    State.RESTARTED: frozenset({State.RUNNING, State.KILLING}),
    # A flow `retry` (RETRY_FAILED_TASK) waiting for its time: restarted then, or killed before.
    State.RETRYING: frozenset({State.RESTARTED, State.KILLED}),
    **{state: frozenset({State.RESTARTED}) for state in _FINISHED_EXECUTION},
}

TASK_RUN_TRANSITIONS: dict[State, frozenset[State]] = {
    State.CREATED: frozenset({State.RUNNING, State.SKIPPED, State.KILLED}),
    State.RUNNING: frozenset(
        {
            State.SUCCESS,
            State.WARNING,
            State.FAILED,
            State.KILLING,
            State.KILLED,
            State.RETRYING,
            State.PAUSED,
            State.SKIPPED,
        }
    ),
    State.RETRYING: frozenset({State.RUNNING, State.KILLED, State.SKIPPED}),
    # A Pause task's run: RUNNING when resumed with `tasks` to run, else it ends as resumed or as its
    # wait's `behavior` says (CANCELLED with the execution).
    State.PAUSED: frozenset({State.RUNNING, State.SUCCESS, State.WARNING, State.FAILED, State.CANCELLED, State.KILLED}),
    State.KILLING: frozenset({State.KILLED}),
    # Reopened by a restart or a replay: a new attempt, claimed like a CREATED run.
    State.RESTARTED: frozenset({State.RUNNING, State.SKIPPED, State.KILLED}),
}

STATUS_CHANGE_TARGETS = frozenset({State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED})
"""What a person may set an ended execution's state to (Kestra's change-status): an end an execution reaches by
itself. Not SKIPPED, which no execution takes, nor RETRIED, which promises an execution that retries it."""
STATUS_CHANGE_TRANSITIONS: dict[State, frozenset[State]] = {
    state: STATUS_CHANGE_TARGETS - {state} for state in _FINISHED_EXECUTION
}
"""Out of an ended execution's state by a person's say-so, beside `EXECUTION_TRANSITIONS`' restart."""

UNQUEUE_TARGETS = frozenset({State.RUNNING, State.CANCELLED, State.FAILED})
"""What a person may take a queued execution out of its flow's concurrency queue as (Kestra's unqueue): started
now, past the limit, or ended without running a task."""
UNQUEUE_TRANSITIONS: dict[State, frozenset[State]] = {State.QUEUED: UNQUEUE_TARGETS}
"""Out of the queue by a person's say-so, beside the executor starting it and a kill (`EXECUTION_TRANSITIONS`)."""

REOPENED_TASK_RUN_TRANSITIONS: dict[State, frozenset[State]] = {
    state: frozenset({State.RESTARTED, State.RUNNING}) for state in _ENDED_TASK_RUN
}
"""The only way out of an ended task run: a restart or a replay runs it again (RESTARTED) or, for a flowable
task that holds it, goes back into it (RUNNING). Nothing else ever reopens an ended run."""


def check_execution_transition(current: State, target: State) -> None:
    _check("execution", EXECUTION_TRANSITIONS, current, target)


def check_execution_status_change(current: State, target: State) -> None:
    _check("execution status change", STATUS_CHANGE_TRANSITIONS, current, target)


def check_execution_unqueue(current: State, target: State) -> None:
    _check("execution unqueue", UNQUEUE_TRANSITIONS, current, target)


def check_task_run_transition(current: State, target: State) -> None:
    _check("task run", TASK_RUN_TRANSITIONS, current, target)


def check_task_run_reopening(current: State, target: State) -> None:
    _check("task run reopening", REOPENED_TASK_RUN_TRANSITIONS, current, target)


def _check(kind: str, table: dict[State, frozenset[State]], current: State, target: State) -> None:
    if target not in table.get(current, frozenset()):
        raise IllegalTransitionError(f"illegal {kind} transition {current} -> {target}")


_NEXT_ATTEMPT_FROM = frozenset({State.CREATED, State.RETRYING, State.RESTARTED})


def attempt_states(history: Iterable[State]) -> tuple[State, ...]:
    """The state each attempt of a task run ended in (or is in), read from its state history, as Kestra lists
    a task run's attempts: an attempt begins at each RUNNING that follows CREATED, RETRYING or RESTARTED (not
    at a resumed pause); one followed by RETRYING failed, and was retried. What happens to a run between two
    attempts (killed while it waited for the next) is no attempt's."""
    attempts: list[State] = []
    previous: State | None = None
    for state in history:
        if state == State.RUNNING and previous in _NEXT_ATTEMPT_FROM:
            attempts.append(state)
        elif attempts and state != State.RESTARTED and previous not in _NEXT_ATTEMPT_FROM:
            attempts[-1] = State.FAILED if state == State.RETRYING else state
        previous = state
    return tuple(attempts)
