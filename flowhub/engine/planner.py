"""`plan()`: given a snapshot of an execution, decide its next steps. A pure function.

The executor calls it under the execution's row lock each time something happened, applies the
returned `Plan`, and calls it again until the plan only waits for workers: flowable tasks resolve
in the executor, runnable ones on workers. Calling it twice on the same snapshot yields the same
plan, which is what makes a redelivered `advance` message harmless.

A list of tasks (a flow's `tasks`, a Sequential's, an If's `then` …) is a *block*. A sequential
block starts its next task once the one before ended well and stops at the first failure; a
parallel one starts them all (up to its limit) and ends once all have. A flowable task's run is
RUNNING while its block runs; then its `errors` block runs if the block failed, then its `finally`
block, and the run ends in the block's state: a successful `errors` block does not turn a failure
into a success, as in Kestra.

A Dag starts each of its nodes once the nodes it depends on ended well, within its limit, and
like a parallel block starts none after a failure.

A flow's `afterExecution` block runs once its final state is decided (after `errors` and
`finally`), and the execution ends in that state only when the block has ended, whatever the
block's own outcome. Kestra sets the terminal state first and runs the block after; flowhub keeps
the execution RUNNING until then, so terminal stays terminal (DESIGN.md §5): nothing runs in a
finished execution, the sweep and kill treat it as the live one it is, and it keeps its concurrency
slot until its last task ends. Its templates see the decided state as `execution.state` all the
same (`state_seen`), as Kestra's afterExecution tasks see the final one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import pauses, templating
from .errors import TemplateError
from .flowable import ExecutorTask, FlowableTask
from .inputs.values import as_text
from .model import Flow
from .registry import TaskDefinition
from .states import TERMINAL, State
from .tasks.flow import (
    AllowFailure,
    Dag,
    DagNode,
    EachParallel,
    EachSequential,
    ForEach,
    If,
    Parallel,
    Pause,
    Sequential,
    Subflow,
    Switch,
)
from .templating.text import to_json

LOOPS = (ForEach, EachSequential, EachParallel)
RESOLVED = (Sequential, Parallel, If, Switch, AllowFailure, Dag, Pause, *LOOPS, Subflow)
"""The executor tasks `plan()` resolves; capabilities.py refuses flows with any other."""


@dataclass(frozen=True)
class TaskRunView:
    id: str
    task_id: str
    state: State
    outputs: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    value: str | None = None
    """The loop value it runs for: set on a loop's iterations and inherited by what they hold."""
    iteration: int | None = None
    """Set on a loop's direct children only: the index of their value."""


@dataclass(frozen=True)
class Snapshot:
    flow: Flow
    state: State
    task_runs: tuple[TaskRunView, ...] = ()


@dataclass(frozen=True)
class NewRun:
    task_id: str
    parent_id: str | None = None
    value: str | None = None
    iteration: int | None = None


@dataclass(frozen=True)
class _Scope:
    """Where a block's task runs live: under which run, for which loop value."""

    parent_id: str | None = None
    value: str | None = None
    iteration: int | None = None


@dataclass(frozen=True)
class Plan:
    start: bool = False
    """Move the execution from CREATED to RUNNING."""
    create: tuple[NewRun, ...] = ()
    """Task runs to create, in order."""
    resolve: tuple[str, ...] = ()
    """Flowable task runs to start: the executor moves each to RUNNING with its evaluated outputs."""
    end: tuple[tuple[str, State], ...] = ()
    """Flowable task runs whose tasks have all ended, with the state to end them in."""
    finish: State | None = None
    """The terminal state to end the execution in."""

    @property
    def is_empty(self) -> bool:
        return not (self.start or self.create or self.resolve or self.end or self.finish)


_WORST_FIRST = (State.KILLED, State.FAILED, State.WARNING)
_FAILED = frozenset({State.FAILED, State.KILLED})
_ENDED_WELL = frozenset({State.SUCCESS, State.WARNING, State.SKIPPED})


def plan(snapshot: Snapshot) -> Plan:
    if snapshot.state == State.KILLING:
        # Killed once no worker is still on one of its tasks: a worker ends its run KILLED when it stops.
        still_running = any(run.state in (State.RUNNING, State.KILLING) for run in snapshot.task_runs)
        return Plan() if still_running else Plan(finish=State.KILLED)
    if snapshot.state not in (State.CREATED, State.RUNNING):
        return Plan()
    planner = _Planner(snapshot)
    outcome = planner.decided(snapshot.flow)
    after = snapshot.flow.after_execution
    if outcome is not None and after and planner.block(after, _Scope(), parallel=False) is None:
        outcome = None  # the end waits for afterExecution, whose own outcome changes nothing
    return Plan(
        start=snapshot.state == State.CREATED,
        create=tuple(planner.create),
        resolve=tuple(planner.resolve),
        end=tuple(planner.end),
        finish=outcome,
    )


def state_seen(snapshot: Snapshot) -> State:
    """`execution.state` as templates see it: the decided final state while `afterExecution` runs."""
    if snapshot.state != State.RUNNING or not snapshot.flow.after_execution:
        return snapshot.state
    return _Planner(snapshot).decided(snapshot.flow) or snapshot.state


def worst(states: list[State]) -> State:
    """KILLED > FAILED > WARNING > SUCCESS (SKIPPED counts as success)."""
    for state in _WORST_FIRST:
        if state in states:
            return state
    return State.SUCCESS


class _Planner:
    def __init__(self, snapshot: Snapshot):
        self.runs = {(run.parent_id, run.task_id, run.value): run for run in snapshot.task_runs}
        self.create: list[NewRun] = []
        self.resolve: list[str] = []
        self.end: list[tuple[str, State]] = []

    def decided(self, flow: Flow) -> State | None:
        """The flow's `tasks` with its `errors` and `finally`: its final state, or None while they run."""
        top = _Scope()
        return self.guarded(lambda: self.block(flow.tasks, top, parallel=False), flow.errors, flow.finally_, top)

    def guarded(
        self,
        main: Callable[[], State | None],
        errors: tuple[TaskDefinition, ...],
        finally_: tuple[TaskDefinition, ...],
        scope: _Scope,
    ) -> State | None:
        """The `main` block with its `errors` and `finally` blocks: the final state, or None while it runs."""
        outcome = main()
        if outcome is None:
            return None
        if outcome in _FAILED and errors and self.block(errors, scope, parallel=False) is None:
            return None
        if finally_:
            cleanup = self.block(finally_, scope, parallel=False)
            if cleanup is None:
                return None
            if cleanup in _FAILED:
                return worst([outcome, cleanup])
        return outcome

    def block(self, tasks: tuple[TaskDefinition, ...], scope: _Scope, parallel: bool, limit: int = 0) -> State | None:
        """Move a block on; its state once every task in it has ended (or one failed), else None."""
        ended: list[State] = []
        running = 0
        for task in tasks:
            if task.disabled:
                continue
            run = self.runs.get((scope.parent_id, task.id, scope.value))
            if run is None:
                new = NewRun(task.id, scope.parent_id, scope.value, scope.iteration)
                if not parallel:
                    self.create.append(new)
                    return None
                if not any(state in _FAILED for state in ended) and not (limit and running >= limit):
                    self.create.append(new)  # once one failed, no other starts
                    running += 1
            elif run.state in TERMINAL:
                ended.append(run.state)
                if not parallel and ended[-1] in _FAILED:
                    return ended[-1]
            else:
                self.advance(task, run)
                if not parallel:
                    return None
                running += 1
        return None if running else worst(ended)

    def loop(self, task: ForEach | EachSequential | EachParallel, run: TaskRunView) -> State | None:
        """Run the loop's tasks once per value, `limit` values at once (0: all); stop starting after a failure."""
        limit = _loop_limit(task)
        ended: list[State] = []
        running = 0
        for index, value in enumerate(run.outputs.get("values", [])):
            started = any((run.id, child.id, value) in self.runs for child in task.tasks)
            if not started and (any(state in _FAILED for state in ended) or (limit and running >= limit)):
                continue
            outcome = self.block(task.tasks, _Scope(run.id, value, index), parallel=False)
            if outcome is None:
                running += 1
            else:
                ended.append(outcome)
        return None if running else worst(ended)

    def dag(self, task: Dag, scope: _Scope) -> State | None:
        """Start each node whose dependencies ended well, `concurrent` at once (0: no limit), none after a failure."""
        ended: dict[str, State] = {}
        waiting: list[DagNode] = []
        running = 0
        for node in task.tasks:
            run = self.runs.get((scope.parent_id, node.task.id, scope.value))
            if node.task.disabled:
                ended[node.task.id] = State.SKIPPED  # what depends on it goes on, as after a skipped task
            elif run is None:
                waiting.append(node)
            elif run.state in TERMINAL:
                ended[node.task.id] = run.state
            else:
                self.advance(node.task, run)
                running += 1
        if any(state in _FAILED for state in ended.values()):
            waiting = []
        for node in waiting:
            if task.concurrent and running >= task.concurrent:
                break
            if all(ended.get(name) in _ENDED_WELL for name in node.dependsOn):
                self.create.append(NewRun(node.task.id, scope.parent_id, scope.value))
                running += 1
        return None if running else worst(list(ended.values()))

    def advance(self, task: TaskDefinition, run: TaskRunView) -> None:
        """Move a flowable task's run on: start it, run its tasks, or end it once they have ended."""
        if not isinstance(task, ExecutorTask) or run.state not in (State.CREATED, State.RESTARTED, State.RUNNING):
            return  # a runnable task: a worker has it
        if run.state in (State.CREATED, State.RESTARTED):  # RESTARTED: to start over, by a restart or a replay
            self.resolve.append(run.id)
            return
        if not isinstance(task, FlowableTask):
            if isinstance(task, Subflow) and not task.wait:
                self.end.append((run.id, State.SUCCESS))  # its execution started: that is all it does
            return  # a waiting Subflow: the end of its execution ends it (executions/subflows.py)
        scope = _Scope(run.id, run.value)  # what it holds runs for its loop value, if any
        if isinstance(task, LOOPS):
            outcome = self.guarded(lambda: self.loop(task, run), task.errors, task.finally_, scope)
        elif isinstance(task, Dag):
            outcome = self.guarded(lambda: self.dag(task, scope), task.errors, task.finally_, scope)
        else:
            children, parallel, limit = chosen_block(task, run.outputs)
            if children is None:
                self.end.append((run.id, State.FAILED))  # a Switch with no case for its value and no defaults
                return
            main = lambda: self.block(children, scope, parallel, limit)  # noqa: E731
            outcome = self.guarded(main, task.errors, task.finally_, scope)
        if outcome is not None:
            if isinstance(task, AllowFailure) and outcome in _FAILED:
                outcome = State.WARNING
            if isinstance(task, Pause):
                outcome = pauses.ended_tasks(task, outcome)
            self.end.append((run.id, tolerated(task, outcome)))


def _loop_limit(task: ForEach | EachSequential | EachParallel) -> int:
    if isinstance(task, ForEach):
        return task.concurrencyLimit
    return task.concurrent if isinstance(task, EachParallel) else 1


def chosen_block(task: FlowableTask, outputs: dict[str, Any]) -> tuple[tuple[TaskDefinition, ...] | None, bool, int]:
    """The tasks a started flowable runs (None when none can be chosen), whether at once, and the limit."""
    if isinstance(task, Parallel):
        return task.tasks, True, task.concurrent
    if isinstance(task, If):
        return (task.then if outputs.get("evaluationResult") else task.else_), False, 0
    if isinstance(task, Switch):
        chosen = task.cases.get(str(outputs.get("value")), task.defaults)
        return (chosen or None), False, 0
    if isinstance(task, Sequential | AllowFailure | Pause):
        return task.tasks, False, 0  # a Pause is RUNNING once resumed, if it has tasks
    raise TypeError(f"plan() does not resolve {task.TYPE}")  # capabilities.py refuses such flows


def started_outputs(task: FlowableTask, render: Callable[[Any], Any]) -> dict[str, Any]:
    """What a flowable's run records as it starts: the If's verdict, the Switch's value. `render` may raise."""
    if isinstance(task, If):
        return {"evaluationResult": templating.is_truthy(render(task.condition))}
    if isinstance(task, Switch):
        value = as_text(render(task.value))
        return {"value": value, "defaults": value not in task.cases}
    if isinstance(task, LOOPS):
        return {"values": loop_values(render(task.values if isinstance(task, ForEach) else task.value))}
    return {}


def loop_values(rendered: Any) -> list[str]:
    """A loop's values as Kestra gives them to `taskrun.value`: text (JSON for maps and lists), each once."""
    items = rendered
    if isinstance(rendered, str):
        try:
            items = json.loads(rendered)
        except ValueError:
            raise TemplateError(f"the values must be a list or a JSON array, not {rendered[:100]!r}") from None
    if not isinstance(items, list):
        raise TemplateError(f"the values must be a list or a JSON array, not {type(items).__name__}")
    if any(item is None for item in items):
        raise TemplateError("a loop value is null")
    return list(dict.fromkeys(item if isinstance(item, str) else to_json(item) for item in items))


def runs_if(task: TaskDefinition, render: Callable[[Any], Any]) -> bool:
    """Whether `runIf` lets the task run (it is SKIPPED otherwise). `render` may raise."""
    return task.runIf is None or templating.is_truthy(render(task.runIf))


def tolerated(task: TaskDefinition, state: State) -> State:
    """The state a task run ends in: `allowFailure` makes a failure a warning, `allowWarning` a warning a success."""
    if state == State.FAILED and task.allowFailure:
        state = State.WARNING
    if state == State.WARNING and task.allowWarning:
        state = State.SUCCESS
    return state


def task_outputs(runs: tuple[TaskRunView, ...]) -> dict[str, Any]:
    """`outputs` as templates see them: by task id, for the runs that ended well.

    A task inside a loop has one entry per value, `outputs.t[value]`, and inside nested loops one
    level per loop, outermost first: `outputs.t[outer][inner]`.
    """
    by_id = {run.id: run for run in runs}
    outputs: dict[str, Any] = {}
    for run in runs:
        if run.state not in (State.SUCCESS, State.WARNING):
            continue
        values = loop_values_of(run, by_id)
        if not values:
            outputs[run.task_id] = run.outputs
            continue
        level = outputs.setdefault(run.task_id, {})
        for value in values[:-1]:
            level = level.setdefault(value, {})
        level[values[-1]] = run.outputs
    return outputs


def loop_values_of(run: TaskRunView, by_id: dict[str, TaskRunView]) -> list[str]:
    """The values of the loops `run` is in, outermost first."""
    values: list[str] = []
    current: TaskRunView | None = run
    while current is not None:
        if current.iteration is not None and current.value is not None:
            values.insert(0, current.value)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return values
