"""`plan()`: given a snapshot of an execution, decide its next step. A pure function.

The executor calls it under a row lock each time something happened to the execution and
applies the returned `Plan`; calling it twice on the same snapshot yields the same plan, which is
what makes a redelivered `advance` message harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import Flow
from .states import TERMINAL, State


@dataclass(frozen=True)
class TaskRunView:
    task_id: str
    state: State
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    flow: Flow
    state: State
    task_runs: tuple[TaskRunView, ...] = ()


@dataclass(frozen=True)
class Plan:
    start: bool = False
    """Move the execution from CREATED to RUNNING."""
    create: tuple[str, ...] = ()
    """Task ids to create task runs for, in order."""
    finish: State | None = None
    """The terminal state to end the execution in."""

    @property
    def is_empty(self) -> bool:
        return not (self.start or self.create or self.finish)


_FAILURE_ORDER = (State.KILLED, State.FAILED, State.WARNING)


def plan(snapshot: Snapshot) -> Plan:
    if snapshot.state in TERMINAL or snapshot.state not in (State.CREATED, State.RUNNING):
        return Plan()
    start = snapshot.state == State.CREATED
    runs = {run.task_id: run for run in snapshot.task_runs}
    for task in snapshot.flow.tasks:
        if task.disabled:  # as in Kestra: no task run at all
            continue
        run = runs.get(task.id)
        if run is None:
            return Plan(start=start, create=(task.id,))
        if run.state not in TERMINAL:
            return Plan(start=start)
        if run.state in (State.FAILED, State.KILLED):
            return Plan(start=start, finish=run.state)
    return Plan(start=start, finish=final_state(snapshot.task_runs))


def final_state(task_runs: tuple[TaskRunView, ...]) -> State:
    """The worst outcome among finished task runs: KILLED > FAILED > WARNING > SUCCESS."""
    states = {run.state for run in task_runs}
    for state in _FAILURE_ORDER:
        if state in states:
            return state
    return State.SUCCESS
