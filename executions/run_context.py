"""What templates see of the task run they render for: `taskrun`, `parent`, `parents` and `currentEachOutput()`.

The worker renders a runnable task's properties with them, the executor a flowable task's
condition and any task's `runIf`: inside a loop, both see the loop's `taskrun.value`.
"""

from __future__ import annotations

from typing import Any

from flowhub.engine.lineage import lineage_variables
from flowhub.engine.planner import TaskRunView
from flowhub.timestamps import iso_utc

from .models import TaskRun


def task_run_variables(task_run: TaskRun, runs: dict[str, TaskRun]) -> dict[str, Any]:
    """`taskrun` (its id, start, attempts before this one and parent run; in a loop its `value` and the nearest
    loop's `iteration`) and, inside flowable tasks, `parent` and `parents` (engine.lineage)."""
    taskrun = {
        "id": task_run.id,
        "startDate": iso_utc(task_run.started_at),
        "attemptsCount": max(task_run.attempt - 1, 0),
    }
    if task_run.parent_id:
        taskrun["parentId"] = task_run.parent_id
    current: TaskRun | None = task_run
    while current is not None and current.iteration is None:
        current = runs.get(current.parent_id or "")
    if current is not None:
        taskrun.update(value=task_run.value, iteration=current.iteration)
    return {"taskrun": taskrun, **lineage_variables(task_run.view(), _ancestry(task_run, runs))}


def _ancestry(task_run: TaskRun, runs: dict[str, TaskRun]) -> dict[str, TaskRunView]:
    """The views of `task_run` and the runs holding it: all that its lineage reads, not every run of the
    execution (the executor renders one condition per run it creates, in loops of any size)."""
    chain: dict[str, TaskRunView] = {}
    current: TaskRun | None = task_run
    while current is not None and current.id not in chain:
        chain[current.id] = current.view()
        current = runs.get(current.parent_id or "")
    return chain
