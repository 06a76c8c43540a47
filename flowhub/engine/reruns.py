"""Which task runs a restart or a replay runs again, goes back into, and leaves out (kestra-flow.md §6.4, §6.5).

A restart runs again the runs that failed or were killed; a replay from a task run runs that one
again. Either way the flowable tasks holding them go back to RUNNING and the rest is kept, except:
a restart drops the runs of `errors` and `finally` handlers (they run again if needed), and a
replay drops what came after the chosen run. A flowable task run that would hold nothing once
that is dropped starts over (it is resolved again, like a new run).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import EngineError
from .flowable import FlowableTask, walk
from .model import Flow
from .planner import TaskRunView
from .registry import TaskDefinition
from .states import State
from .tasks.flow import Parallel

RESTARTABLE = frozenset({State.FAILED, State.KILLED})
"""The states of the task runs a restart runs again."""
_HANDLERS = ("errors", "finally")


class NothingToRerunError(EngineError):
    """No task run matches: nothing failed, or the chosen task run is not in the execution."""


@dataclass(frozen=True)
class Rerun:
    again: frozenset[str]
    """Runs to run again from the start: RESTARTED (a flowable one is resolved again)."""
    reopen: frozenset[str]
    """Flowable runs to go back into: RUNNING, with their outputs (an If's verdict, a loop's values) kept."""
    drop: frozenset[str]
    """Runs left out, and everything they hold."""


def restart(flow: Flow, runs: Iterable[TaskRunView]) -> Rerun:
    """Kestra's restart: failed and killed runs run again, their ancestors reopen, handler runs go."""
    by_id = {run.id: run for run in runs}
    chosen = [run.id for run in by_id.values() if run.state in RESTARTABLE]
    if not chosen:
        raise NothingToRerunError("No task found to restart execution from!")
    handlers = handler_task_ids(flow)
    drop = {run.id for run in by_id.values() if run.task_id in handlers}
    return _rerun(by_id, chosen, drop)


def replay(flow: Flow, runs: Iterable[TaskRunView], task_run_id: str) -> Rerun:
    """Kestra's replay from a task run: it runs again, what holds it reopens, what came after it goes."""
    by_id = {run.id: run for run in runs}
    if task_run_id not in by_id:
        raise NothingToRerunError(f"no task run '{task_run_id}' in this execution")
    return _rerun(by_id, [task_run_id], _after(flow, by_id, task_run_id))


def handler_task_ids(flow: Flow) -> frozenset[str]:
    """The tasks of every `errors` and `finally` block, the flow's and its flowable tasks', however deep."""
    blocks = [flow.errors, flow.finally_]
    blocks += [
        block
        for task in walk((*flow.tasks, *flow.errors, *flow.finally_))
        if isinstance(task, FlowableTask)
        for block in (task.errors, task.finally_)
    ]
    return frozenset(task.id for block in blocks for task in walk(block))


def _rerun(by_id: dict[str, TaskRunView], chosen: list[str], drop: set[str]) -> Rerun:
    """The chosen runs and those holding them, short of what is dropped, run again or reopen."""
    dropped = _with_descendants(by_id, drop)
    chain = {ancestor for run_id in chosen for ancestor in _lineage(by_id, run_id)} - dropped
    holding = {run.parent_id for run in by_id.values() if run.id not in dropped}
    reopen = {run_id for run_id in chain if run_id in holding}
    return Rerun(again=frozenset(chain - reopen), reopen=frozenset(reopen), drop=frozenset(dropped))


def _lineage(by_id: dict[str, TaskRunView], run_id: str) -> list[str]:
    """The run and every run holding it, innermost first."""
    lineage = [run_id]
    while (parent := by_id[lineage[-1]].parent_id) is not None:
        lineage.append(parent)
    return lineage


def _with_descendants(by_id: dict[str, TaskRunView], roots: set[str]) -> set[str]:
    """`roots` and every run they hold, however deep."""
    return {run_id for run_id in by_id if roots & set(_lineage(by_id, run_id))}


def _after(flow: Flow, by_id: dict[str, TaskRunView], chosen_id: str) -> set[str]:
    """The runs that came after the chosen one: what it holds, and in each block on its way up, the runs of
    the tasks declared after it (and of the block's `errors` and `finally`), except side by side in a Parallel
    and in other iterations of a loop."""
    lineage = _lineage(by_id, chosen_id)
    on_the_way = {by_id[run_id].parent_id: by_id[run_id] for run_id in lineage}
    after = set()
    for run in by_id.values():
        if run.id in lineage:
            continue
        path = _lineage(by_id, run.id)
        if chosen_id in path:
            after.add(run.id)  # the chosen run holds it
            continue
        outermost = next(by_id[run_id] for run_id in path if by_id[run_id].parent_id in on_the_way)
        sibling = on_the_way[outermost.parent_id]
        if sibling.value == outermost.value and _comes_after(flow, by_id, outermost, sibling):
            after.add(run.id)
    return after


def _comes_after(flow: Flow, by_id: dict[str, TaskRunView], run: TaskRunView, reference: TaskRunView) -> bool:
    """Whether `run`'s task comes after `reference`'s in the blocks of their common parent."""
    holder = None if run.parent_id is None else flow.task(by_id[run.parent_id].task_id)
    if isinstance(holder, Parallel) and {run.task_id, reference.task_id} <= {task.id for task in holder.tasks}:
        return False
    order = _declared_order(flow, holder)
    return order.get(run.task_id, -1) > order.get(reference.task_id, -1)


def _declared_order(flow: Flow, holder: TaskDefinition | None) -> dict[str, int]:
    """The position of each task directly in `holder` (None: the flow): its branches first, then `errors`,
    then `finally`."""
    if holder is None:
        blocks = {"tasks": flow.tasks, "errors": flow.errors, "finally": flow.finally_}
    else:
        assert isinstance(holder, FlowableTask)
        blocks = holder.branches()
    ordered = [name for name in blocks if name not in _HANDLERS] + [name for name in _HANDLERS if name in blocks]
    tasks = [task.id for name in ordered for task in blocks[name]]
    return {task_id: position for position, task_id in enumerate(tasks)}
