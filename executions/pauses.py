"""Pause task runs in the database: PAUSED with their execution as the executor starts them, then ended when
a person resumes them with their `onResume` inputs (actions.py), or by the sweep once their wait is over
(recovery.py). The state changes here are made under the execution's row lock, which callers hold.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, cast

from django.db import transaction

from flowhub.engine import inputs as engine_inputs
from flowhub.engine.errors import ErrorDetail, InvalidInputsError
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.pauses import UNTIL_RESUMED, resumed_state
from flowhub.engine.states import TERMINAL, State
from flowhub.engine.tasks.flow import Pause

from .dispatch import enqueue_pause_end
from .models import Execution, TaskRun
from .transitions import execution_transition, task_run_transition


def task_run_pause(execution: Execution, run: TaskRun, wait: timedelta, now: Any) -> None:
    """Start a Pause task's run: RUNNING, then PAUSED until resumed or `wait` is over; its execution PAUSED too."""
    task_run_transition(run, State.RUNNING, started_at=now)
    resume_at = None if wait == UNTIL_RESUMED else now + wait
    task_run_transition(run, State.PAUSED, resume_at=resume_at)
    if execution.state == State.RUNNING:  # not when a Pause in another branch paused it in the same step
        execution_transition(execution, State.PAUSED)
    if resume_at is not None:
        transaction.on_commit(partial(enqueue_pause_end, run.id, wait))


def paused_task_runs(execution: Execution) -> list[TaskRun]:
    """Its PAUSED task runs: those of Pause tasks. None when a person paused it (actions.execution_pause)."""
    return list(execution.task_runs.filter(state=State.PAUSED))


def pause_task(parsed: ParsedFlow, run: TaskRun) -> Pause:
    """The Pause task of a PAUSED run: only a Pause's run pauses."""
    return cast(Pause, parsed.task(run.task_id))


def onresume_specs(parsed: ParsedFlow, paused: list[TaskRun]) -> tuple[engine_inputs.InputSpec, ...]:
    """The `onResume` inputs the paused runs' tasks declare, each id once."""
    specs = {spec.id: spec for run in paused for spec in pause_task(parsed, run).onResume}
    return tuple(specs.values())


def onresume_values(parsed: ParsedFlow, paused: list[TaskRun], supplied: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each paused run's `onResume` inputs from what a person supplied, by run id, validated as flow inputs are.

    Raises InvalidInputsError naming every input that does not fit, each once.
    """
    values: dict[str, dict[str, Any]] = {}
    errors: list[ErrorDetail] = []
    for run in paused:
        try:
            values[run.id] = engine_inputs.resolve(pause_task(parsed, run).onResume, supplied)
        except InvalidInputsError as exc:
            errors += [error for error in exc.errors if error not in errors]
    if errors:
        raise InvalidInputsError(errors)
    return values


def task_runs_resume(parsed: ParsedFlow, paused: list[TaskRun], values: dict[str, dict[str, Any]], now: Any) -> None:
    """End the paused runs as resumed, with outputs `{"onResume": {<id>: value}}`; those with `tasks` run them."""
    for run in paused:
        target = resumed_state(pause_task(parsed, run))
        ended = {"ended_at": now} if target in TERMINAL else {}
        task_run_transition(run, target, outputs={"onResume": values[run.id]}, **ended)


def onresume_given(
    parsed: ParsedFlow, paused: list[TaskRun], values: dict[str, dict[str, Any]]
) -> list[tuple[engine_inputs.InputSpec, Any]]:
    """Each `onResume` input of the paused runs' tasks with the value it gets (None: none, as it is optional)."""
    return [
        (spec, engine_inputs.value_at(values[run.id], spec.id))
        for run in paused
        for spec in pause_task(parsed, run).onResume
    ]
