"""How far an execution has got: `progress(snapshot)`, a pure function of what `plan()` sees.

`percent` weighs the flow's structure, not a count of task runs: each task of the flow's `tasks`
is an equal share, and a flowable task's share is split equally among what it runs (a loop's
values, each with its tasks; the branch an If or a Switch chose; a Dag's nodes), as far down as
runs go. The denominators are fixed once a flowable has started (its values and its branch are
decided then), so a loop opening a hundred iterations does not drag the percent back: it only
slows the climb. A run that ended counts whole, whatever its state; one that has not counts
nothing but what its children finished. `errors`, `finally` and `afterExecution` blocks are not
shares: they run after the main block is done. The percent stays below 100 until the execution
itself has ended, and is 100 from then on. Only a restart or a replay takes it back: they reopen
ended runs on purpose.

`total` counts task runs: those that exist, plus, while the execution runs, one for each task a
started block has not created yet (a flowable not started yet counting as one), so that it does
not sit at "2 of 2" while eight more tasks wait their turn. It is a forecast as far as the
structure is known, and grows when a flowable starts and reveals what it holds; once the
execution has ended it is the runs that exist. `done` counts the runs that ended. `current` lists
the ids of the tasks running now (each once, though a loop may run one for several values).
"""

from __future__ import annotations

from dataclasses import dataclass

from .flowable import ExecutorTask, FlowableTask
from .planner import LOOPS, Snapshot, TaskRunView, chosen_block
from .registry import TaskDefinition
from .states import TERMINAL, State
from .tasks.flow import Dag, WorkingDirectory


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    percent: int
    current: tuple[str, ...]


def progress(snapshot: Snapshot) -> Progress:
    measure = _Measure(snapshot)
    share = measure.block(snapshot.flow.tasks, None, None)
    ended = snapshot.state in TERMINAL
    runs = snapshot.task_runs
    current = (run.task_id for run in runs if run.state == State.RUNNING)
    return Progress(
        total=len(runs) + (0 if ended else measure.expected),
        done=sum(run.state in TERMINAL for run in runs),
        percent=100 if ended else min(99, int(share * 100)),
        current=tuple(
            dict.fromkeys(task_id for task_id in current if not isinstance(snapshot.flow.task(task_id), ExecutorTask))
        ),
    )


class _Measure:
    def __init__(self, snapshot: Snapshot):
        self.runs = {(run.parent_id, run.task_id, run.value): run for run in snapshot.task_runs}
        self.expected = 0
        """Tasks of started blocks that have no run yet."""

    def block(self, tasks: tuple[TaskDefinition, ...], parent_id: str | None, value: str | None) -> float:
        """The share of `tasks` (run under `parent_id` for the loop `value`) that is done, from 0 to 1."""
        enabled = [task for task in tasks if not task.disabled]
        if not enabled:
            return 1.0
        return sum(self.task(task, self.runs.get((parent_id, task.id, value))) for task in enabled) / len(enabled)

    def task(self, task: TaskDefinition, run: TaskRunView | None) -> float:
        if run is None:
            self.expected += 1
            return 0.0
        if run.state in TERMINAL:
            return 1.0
        if run.state != State.RUNNING:
            return 0.0
        if isinstance(task, LOOPS):
            values = run.outputs.get("values", [])
            return sum(self.block(task.tasks, run.id, value) for value in values) / len(values) if values else 1.0
        if isinstance(task, Dag):
            return self.block(tuple(node.task for node in task.tasks), run.id, run.value)
        if isinstance(task, WorkingDirectory):
            return self.block(task.tasks, run.id, run.value)
        if isinstance(task, FlowableTask):
            children, _, _ = chosen_block(task, run.outputs)
            return 0.0 if children is None else self.block(children, run.id, run.value)
        return 0.0
