"""What templates of an execution see: the `execution` variable, and for a task run its `task`, `taskrun`,
`parent`, `parents` and `currentEachOutput()`.

The worker renders a runnable task's properties with them, the executor a flowable task's
condition and any task's `runIf`, the eval endpoint an expression being debugged: inside a loop, all
see the loop's `taskrun.value`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flowhub.engine.context import ExecutionInfo, variables
from flowhub.engine.lineage import lineage_variables
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.planner import Snapshot, TaskRunView, state_seen, task_outputs
from flowhub.engine.states import State
from flowhub.timestamps import iso_utc
from namespaces.flows import parsed_revision

from .models import Execution, TaskRun


def execution_info(execution: Execution, runs: tuple[TaskRunView, ...] | None = None) -> ExecutionInfo:
    """The `execution` variable of templates. Given the execution's task `runs`, its `state` is the final
    state once decided, while the `afterExecution` tasks run (see `planner.state_seen`)."""
    state = State(execution.state)
    if runs is not None:
        state = state_seen(Snapshot(parsed_revision(execution.flow_revision), state, runs))
    return ExecutionInfo(
        id=execution.id,
        state=state.value,
        start_date=execution.state_history[0]["date"] if execution.state_history else None,
        original_id=execution.original_id or execution.id,
        flow_revision=execution.flow_revision.revision,
        labels={label["key"]: label["value"] for label in execution.labels},
        inputs=execution.inputs,
        trigger=execution.trigger,
    )


def template_context(
    parsed: ParsedFlow,
    info: ExecutionInfo,
    outputs: dict[str, Any],
    functions: Mapping[str, Callable[..., Any]],
    task_run: TaskRun | None = None,
    runs: dict[str, TaskRun] | None = None,
) -> dict[str, Any]:
    """Kestra's expression context in an execution of `parsed` (engine.context.variables), with the template
    `functions` (store.template_functions); for `task_run`, one of the execution's `runs`, what its task sees
    besides: `task`, `taskrun`, `parent` and `parents`."""
    if task_run is None:
        return variables(parsed, info, outputs, functions=functions)
    task = parsed.task(task_run.task_id)
    context = variables(parsed, info, outputs, task={"id": task.id, "type": task.type}, functions=functions)
    context.update(task_run_variables(task_run, runs or {}))
    return context


def current_template_context(
    execution: Execution,
    parsed: ParsedFlow,
    functions: Mapping[str, Callable[..., Any]],
    task_run: TaskRun | None = None,
) -> dict[str, Any]:
    """`template_context` as `execution` stands now: its task runs and their outputs read afresh."""
    runs = {run.id: run for run in TaskRun.objects.filter(execution=execution)}
    views = tuple(run.view() for run in runs.values())
    return template_context(parsed, execution_info(execution, views), task_outputs(views), functions, task_run, runs)


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
