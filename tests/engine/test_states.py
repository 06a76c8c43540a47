import itertools

import pytest

from flowhub.engine.errors import IllegalTransitionError
from flowhub.engine.states import (
    EXECUTION_TRANSITIONS,
    TASK_RUN_TRANSITIONS,
    TERMINAL,
    State,
    attempt_states,
    check_execution_status_change,
    check_execution_transition,
    check_execution_unqueue,
    check_task_run_reopening,
    check_task_run_transition,
)

# DESIGN.md §5, written out independently of the module's tables.
EXECUTION_ALLOWED = {
    ("CREATED", "RUNNING"), ("CREATED", "QUEUED"), ("CREATED", "FAILED"), ("CREATED", "CANCELLED"),
    ("CREATED", "KILLED"), ("QUEUED", "RUNNING"), ("QUEUED", "CANCELLED"), ("QUEUED", "KILLED"),
    ("RUNNING", "SUCCESS"), ("RUNNING", "WARNING"), ("RUNNING", "FAILED"), ("RUNNING", "PAUSED"),
    ("RUNNING", "KILLING"), ("PAUSED", "RUNNING"), ("PAUSED", "KILLING"), ("PAUSED", "CANCELLED"),
    ("KILLING", "KILLED"),
    ("RESTARTED", "RUNNING"), ("RESTARTED", "KILLING"),
    ("SUCCESS", "RESTARTED"), ("WARNING", "RESTARTED"), ("FAILED", "RESTARTED"), ("KILLED", "RESTARTED"),
    ("CANCELLED", "RESTARTED"), ("RETRIED", "RESTARTED"),
    # a flow `retry`: waiting in place (RETRYING, then restarted or killed), or handing over to a new execution
    ("RUNNING", "RETRYING"), ("RETRYING", "RESTARTED"), ("RETRYING", "KILLED"), ("RUNNING", "RETRIED"),
}  # fmt: skip
TASK_RUN_ALLOWED = {
    ("CREATED", "RUNNING"), ("CREATED", "SKIPPED"), ("CREATED", "KILLED"),
    ("RUNNING", "SUCCESS"), ("RUNNING", "WARNING"), ("RUNNING", "FAILED"), ("RUNNING", "KILLING"),
    ("RUNNING", "KILLED"), ("RUNNING", "RETRYING"), ("RUNNING", "PAUSED"),
    ("RETRYING", "RUNNING"), ("RETRYING", "KILLED"), ("PAUSED", "RUNNING"), ("PAUSED", "KILLED"),
    ("PAUSED", "SUCCESS"), ("PAUSED", "WARNING"), ("PAUSED", "FAILED"), ("PAUSED", "CANCELLED"),
    ("KILLING", "KILLED"),
    # skipped by a user before it ends; reopened by a restart or a replay, then claimed like a created run
    ("RUNNING", "SKIPPED"), ("RETRYING", "SKIPPED"),
    ("RESTARTED", "RUNNING"), ("RESTARTED", "SKIPPED"), ("RESTARTED", "KILLED"),
}  # fmt: skip
ENDED_TASK_RUN = ("SUCCESS", "WARNING", "FAILED", "KILLED", "SKIPPED")
REOPENING_ALLOWED = {(ended, target) for ended in ENDED_TASK_RUN for target in ("RESTARTED", "RUNNING")}
ENDED_EXECUTION = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED")
STATUS_CHANGE_ALLOWED = {
    (ended, target)
    for ended in ENDED_EXECUTION
    for target in ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED")
    if ended != target
}
UNQUEUE_ALLOWED = {("QUEUED", "RUNNING"), ("QUEUED", "CANCELLED"), ("QUEUED", "FAILED")}

PAIRS = list(itertools.product(State, State))


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_execution_transitions_are_exactly_the_designed_ones(current, target):
    if (current.value, target.value) in EXECUTION_ALLOWED:
        check_execution_transition(current, target)
    else:
        with pytest.raises(IllegalTransitionError):
            check_execution_transition(current, target)


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_task_run_transitions_are_exactly_the_designed_ones(current, target):
    if (current.value, target.value) in TASK_RUN_ALLOWED:
        check_task_run_transition(current, target)
    else:
        with pytest.raises(IllegalTransitionError):
            check_task_run_transition(current, target)


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_only_an_ended_task_run_reopens_and_only_to_run_again_or_be_gone_back_into(current, target):
    if (current.value, target.value) in REOPENING_ALLOWED:
        check_task_run_reopening(current, target)
    else:
        with pytest.raises(IllegalTransitionError):
            check_task_run_reopening(current, target)


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_a_person_changes_only_an_ended_execution_s_status_and_only_to_another_end(current, target):
    if (current.value, target.value) in STATUS_CHANGE_ALLOWED:
        check_execution_status_change(current, target)
    else:
        with pytest.raises(IllegalTransitionError):
            check_execution_status_change(current, target)


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_a_person_takes_only_a_queued_execution_out_of_the_queue_started_or_ended_without_running(current, target):
    if (current.value, target.value) in UNQUEUE_ALLOWED:
        check_execution_unqueue(current, target)
    else:
        with pytest.raises(IllegalTransitionError):
            check_execution_unqueue(current, target)


def test_terminal_task_runs_never_change_and_executions_only_restart():
    for state in TERMINAL:
        assert state not in TASK_RUN_TRANSITIONS
        assert EXECUTION_TRANSITIONS.get(state, frozenset()) <= {State.RESTARTED}


@pytest.mark.parametrize(
    ("history", "attempts"),
    [
        ("CREATED", ""),
        ("CREATED RUNNING SUCCESS", "SUCCESS"),
        ("CREATED RUNNING RETRYING RUNNING RETRYING RUNNING WARNING", "FAILED FAILED WARNING"),
        ("CREATED RUNNING RETRYING RUNNING", "FAILED RUNNING"),
        ("CREATED RUNNING PAUSED RUNNING SUCCESS", "SUCCESS"),  # a resumed pause is the same attempt
        ("CREATED RUNNING KILLING KILLED", "KILLED"),
        ("CREATED RUNNING FAILED RESTARTED RUNNING SUCCESS", "FAILED SUCCESS"),  # a restart runs it again
        ("CREATED RUNNING FAILED RUNNING SUCCESS", "SUCCESS"),  # a flowable task gone back into
        ("CREATED RUNNING RETRYING KILLED", "FAILED"),  # killed while it waited for its next attempt
        ("CREATED RUNNING FAILED RESTARTED SKIPPED", "FAILED"),
    ],
)
def test_attempt_states_read_a_task_run_s_history(history, attempts):
    assert attempt_states(State(name) for name in history.split()) == tuple(State(name) for name in attempts.split())
