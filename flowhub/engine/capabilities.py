"""What flowhub accepts in a flow but cannot run yet.

Such flows save, so real Kestra flows load as written; an execution of one is refused with every
place listed, rather than run with parts of it silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

from .flowable import ExecutorTask
from .planner import RESOLVED
from .registry import TaskDefinition
from .yamlsource import Path

TASK_PROPERTIES = ("cache",)
"""Properties flowhub accepts and does not apply yet: a WorkingDirectory's `cache`."""


def task_gaps(task: TaskDefinition) -> Iterator[tuple[Path, str]]:
    """What of `task` flowhub cannot run, by path relative to the task."""
    if isinstance(task, ExecutorTask) and not isinstance(task, RESOLVED):
        yield ("type",), f"flowhub does not run {task.TYPE} tasks yet"
    for name in TASK_PROPERTIES:
        if getattr(task, name, None) is not None:
            yield (name,), f"flowhub does not apply a task's '{name}' yet"
