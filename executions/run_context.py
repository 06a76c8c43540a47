"""What templates see of the task run they render for: `taskrun` and `parent`.

The worker renders a runnable task's properties with them, the executor a flowable task's
condition and any task's `runIf`: inside a loop, both see the loop's `taskrun.value`.
"""

from __future__ import annotations

from typing import Any

from flowhub.timestamps import iso_utc

from .models import TaskRun


def task_run_variables(task_run: TaskRun, runs: dict[str, TaskRun]) -> dict[str, Any]:
    """`taskrun` (its id, start and attempts before this one; in a loop its `value` and the nearest loop's
    `iteration`) and, inside a flowable task, `parent` (that task's run: its value and outputs)."""
    taskrun = {
        "id": task_run.id,
        "startDate": iso_utc(task_run.started_at),
        "attemptsCount": max(task_run.attempt - 1, 0),
    }
    current: TaskRun | None = task_run
    while current is not None and current.iteration is None:
        current = runs.get(current.parent_id or "")
    if current is not None:
        taskrun.update(value=task_run.value, iteration=current.iteration)
    found: dict[str, Any] = {"taskrun": taskrun}
    if (parent := runs.get(task_run.parent_id or "")) is not None:
        found["parent"] = {"taskrun": {"value": parent.value}, "outputs": parent.outputs}
    return found
