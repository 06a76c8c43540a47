"""Compare-and-set state changes: `UPDATE … WHERE state = <expected>`, history appended in the same row.

Only one writer can move a row out of a given state, so a duplicate delivery of a message, or a
zombie worker finishing late, finds the state already changed and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from flowhub.engine.states import (
    State,
    check_execution_status_change,
    check_execution_transition,
    check_execution_unqueue,
    check_task_run_reopening,
    check_task_run_transition,
)
from flowhub.timestamps import iso_utc

from .models import Execution, TaskRun


def history_entry(state: State, moment: Any) -> dict[str, str]:
    return {"state": state.value, "date": iso_utc(moment) or ""}


def execution_transition(execution: Execution, target: State, **fields: Any) -> bool:
    """Move `execution` to `target` if it is still in the state we read; True when we moved it."""
    check_execution_transition(State(execution.state), target)
    now = timezone.now()
    fields["updated_at"] = now
    return _compare_and_set(execution, target, now, fields)


def execution_status_change(execution: Execution, target: State) -> bool:
    """Give the ended `execution` another end (`states.STATUS_CHANGE_TRANSITIONS`), ended now, as its JSON's
    `endDate` (the last history entry) says; True when we changed it."""
    check_execution_status_change(State(execution.state), target)
    now = timezone.now()
    return _compare_and_set(execution, target, now, {"updated_at": now, "ended_at": now})


def execution_unqueue_transition(execution: Execution, target: State) -> bool:
    """Take the QUEUED `execution` out of its flow's queue by a person's say-so (`states.UNQUEUE_TRANSITIONS`):
    started now (RUNNING) or ended now without running; True when we moved it."""
    check_execution_unqueue(State(execution.state), target)
    now = timezone.now()
    moment = "started_at" if target == State.RUNNING else "ended_at"
    return _compare_and_set(execution, target, now, {"updated_at": now, moment: now})


def task_run_transition(task_run: TaskRun, target: State, **fields: Any) -> bool:
    check_task_run_transition(State(task_run.state), target)
    return _compare_and_set(task_run, target, timezone.now(), fields)


def task_run_reopen(task_run: TaskRun, target: State, **fields: Any) -> bool:
    """Take an ended run back for a restart or a replay (`states.REOPENED_TASK_RUN_TRANSITIONS`)."""
    check_task_run_reopening(State(task_run.state), target)
    return _compare_and_set(task_run, target, timezone.now(), fields)


def _compare_and_set(row: Execution | TaskRun, target: State, now: Any, fields: dict[str, Any]) -> bool:
    history = [*row.state_history, history_entry(target, now)]
    changed = type(row).objects.filter(pk=row.pk, state=row.state).update(state=target, state_history=history, **fields)
    if changed:
        row.state = target
        row.state_history = history
        for name, value in fields.items():
            setattr(row, name, value)
    return changed == 1
