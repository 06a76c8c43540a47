"""Kestra's Pause task: how long its run waits, and the state it leaves PAUSED in.

The executor starts a Pause's run PAUSED, with its execution; a person resumes it (with its
`onResume` inputs), or its wait ends: a `pauseDuration` (older name `delay`) ends as `behavior`
says, a `timeout` without one fails it. Resumed, a Pause with (deprecated) `tasks` is RUNNING while
they run, as a Sequential; one without ends at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .errors import TemplateError
from .inputs.temporal import to_duration
from .states import State
from .tasks.flow import Pause

UNTIL_RESUMED = timedelta.max
"""The wait of a Pause with neither a duration nor a timeout."""
MAX_WAIT = timedelta(days=36500)


def wait(task: Pause, render: Callable[[Any], Any]) -> timedelta:
    """How long its run waits before its wait ends (`UNTIL_RESUMED`: until a person resumes it). `render` may raise."""
    declared = task.pauseDuration or task.delay or task.timeout
    if declared is None:
        return UNTIL_RESUMED
    rendered = str(render(declared)).strip()
    try:
        duration = to_duration(rendered)
    except ValueError as exc:
        raise TemplateError(f"the pause's duration '{rendered[:100]}': {exc}") from None
    if duration > MAX_WAIT:
        raise TemplateError(f"the pause's duration '{rendered[:100]}' is longer than {MAX_WAIT.days} days")
    return duration


def resumed_state(task: Pause) -> State:
    """A person resumed it: its `tasks` run now, or, without any, it has succeeded."""
    return State.RUNNING if task.tasks else State.SUCCESS


def elapsed_state(task: Pause) -> State:
    """Its wait is over: a duration ends as `behavior` says (CANCELLED cancels the execution), a timeout fails it."""
    if not (task.pauseDuration or task.delay):
        return State.WARNING if task.allowFailure else State.FAILED
    if task.behavior == "RESUME":
        return resumed_state(task)
    if task.behavior == "WARN":
        return State.RUNNING if task.tasks else State.WARNING  # its tasks' success then counts as a warning
    return State.FAILED if task.behavior == "FAIL" else State.CANCELLED


def ended_tasks(task: Pause, outcome: State) -> State:
    """The state of a Pause whose `tasks` ended in `outcome`: with `behavior: WARN` a success is a warning."""
    return State.WARNING if task.behavior == "WARN" and outcome == State.SUCCESS else outcome
