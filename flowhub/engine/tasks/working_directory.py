"""Running a WorkingDirectory on the worker that claimed it.

One temporary directory, filled as a script's is (namespace files, input files); its tasks run in it
one after the other through `ctx.subtasks`, each a task run of its own with its own `runIf`, retries
and timeout. As in Kestra, a task that fails stops the rest (one with `allowFailure` ends WARNING and
the rest go on); then `errors` runs if one failed, and `finally` always, in the same directory. The
files matching `outputFiles` are stored last. A stop (kill, timeout) ends the task running and starts
no other.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure
from flowhub.engine.registry import TaskDefinition
from flowhub.engine.states import State

from . import workspace

if TYPE_CHECKING:
    from .flow import WorkingDirectory

_FAILED = (State.FAILED, State.KILLED)


def run(task: WorkingDirectory, ctx: RunContext) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="flowhub-workdir-") as root:
        work = Path(root)
        extra = {"workingDir": root}
        workspace.fill(ctx, work, task.namespaceFiles, task.inputFiles, extra)
        outcome, culprit = _in_turn(task.tasks, ctx, work)
        if outcome in _FAILED and task.errors:
            _in_turn(task.errors, ctx, work)
        if task.finally_:
            cleanup, cleanup_culprit = _in_turn(task.finally_, ctx, work)
            if cleanup in _FAILED and outcome not in _FAILED:
                outcome, culprit = cleanup, cleanup_culprit
        if outcome in _FAILED:
            raise TaskFailure(f"task '{culprit}' ended {outcome}")
        ctx.warned = outcome == State.WARNING
        files = workspace.store(ctx, workspace.matching(ctx, work, task.outputFiles, extra))
    return {"outputFiles": files} if task.outputFiles else {}


def _in_turn(tasks: tuple[TaskDefinition, ...], ctx: RunContext, work: Path) -> tuple[State, str | None]:
    """Run the tasks one after the other until one fails: the state of the whole, and the task that failed."""
    warned = False
    for child in tasks:
        if child.disabled:
            continue
        if ctx.stop.is_set():
            raise TaskFailure(f"stopped before task '{child.id}'")
        state = ctx.subtasks.run(child, work, ctx.stop)
        if state in _FAILED:
            return state, child.id
        warned = warned or state == State.WARNING
    return (State.WARNING if warned else State.SUCCESS), None
