"""What a task run sees of the flowable tasks around it: `parent`, `parents` and `currentEachOutput()`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import TemplateError
from .planner import TaskRunView, loop_values_of


def lineage_variables(run: TaskRunView, by_id: dict[str, TaskRunView]) -> dict[str, Any]:
    """`parents`, nearest first, each `{task: {id}, taskrun: {value}, outputs}`; `parent`, the nearest;
    and `currentEachOutput()`, for a run inside flowable tasks."""
    parents: list[dict[str, Any]] = []
    current = by_id.get(run.parent_id or "")
    while current is not None:
        parent = {"task": {"id": current.task_id}, "taskrun": {"value": current.value}, "outputs": current.outputs}
        parents.append(parent)
        current = by_id.get(current.parent_id or "")
    variables: dict[str, Any] = {
        "parents": parents,
        "currentEachOutput": current_each_output(loop_values_of(run, by_id)),
    }
    if parents:
        variables["parent"] = parents[0]
    return variables


def current_each_output(loop_values: list[str]) -> Callable[[Any], Any]:
    """Kestra's `currentEachOutput(outputs.t)`: of the outputs of a task in the same loops as the caller,
    those for the caller's loop values (outermost first); null when that task has none for them."""

    def pick(outputs: Any) -> Any:
        if not isinstance(outputs, Mapping):
            raise TemplateError("currentEachOutput() expects a task's outputs, such as outputs.my_task")
        found: Any = outputs
        for value in loop_values:
            found = found.get(value) if isinstance(found, Mapping) else None
            if found is None:
                return None
        return found

    return pick
