"""Tasks that hold other tasks (most of them resolved by the executor instead of a worker), and their branches.

A branch is validated by the `BranchParser` found in pydantic's validation context (the flow
parser puts itself there), so every child is checked as its own type and its errors carry its full
path. Built in code without that context, a branch takes task instances as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Protocol

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema

from .registry import TaskDefinition
from .yamlsource import Path

BRANCH_PARSER = "branch_parser"
CHILDREN_REPORTED = "children_reported"
"""The pydantic error type of a branch whose children failed: they were reported at their own paths."""

TASK_SCHEMA: dict[str, Any] = {
    "title": "Task",
    "type": "object",
    "description": "A task of any type",
    "required": ["id", "type"],
    "properties": {"id": {"type": "string"}, "type": {"type": "string"}},
}
TASK_LIST_SCHEMA: dict[str, Any] = {"type": "array", "items": TASK_SCHEMA}


class BranchParser(Protocol):
    def tasks(self, value: Any, where: Path, *, required: bool) -> tuple[TaskDefinition, ...]:
        """The tasks listed at `where`, relative to the task being validated.

        Raises ValueError when `value` is not a list of tasks (or is empty but `required`), and a
        `CHILDREN_REPORTED` error when some child is invalid.
        """
        ...

    def task(self, value: Any, where: Path) -> TaskDefinition: ...


def branch_parser(info: ValidationInfo) -> BranchParser | None:
    context = info.context
    return context.get(BRANCH_PARSER) if isinstance(context, dict) else None


def property_name(info: ValidationInfo) -> str:
    """The name a field has in YAML: `else_` and `finally_` dodge Python keywords."""
    return (info.field_name or "").removesuffix("_")


def _instances(value: Any, required: bool) -> tuple[TaskDefinition, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, TaskDefinition) for item in value):
        raise ValueError("must be a list of tasks")
    if required and not value:
        raise ValueError("must be a non-empty list of tasks")
    return tuple(value)


def _branch(required: bool) -> Callable[[Any, ValidationInfo], tuple[TaskDefinition, ...]]:
    def validate(value: Any, info: ValidationInfo) -> tuple[TaskDefinition, ...]:
        parser = branch_parser(info)
        if parser is None:
            return _instances(value, required)
        return parser.tasks(value, (property_name(info),), required=required)

    return validate


Tasks = Annotated[
    tuple[TaskDefinition, ...], BeforeValidator(_branch(required=False)), WithJsonSchema(TASK_LIST_SCHEMA)
]
"""A list of child tasks, possibly empty."""
RequiredTasks = Annotated[
    tuple[TaskDefinition, ...],
    BeforeValidator(_branch(required=True)),
    WithJsonSchema({**TASK_LIST_SCHEMA, "minItems": 1}),
]
"""A non-empty list of child tasks."""


class TaskGroup(TaskDefinition):
    """A task that holds other tasks: an ExecutorTask, or a WorkingDirectory, which a worker runs whole."""

    def branches(self) -> dict[str, tuple[TaskDefinition, ...]]:
        """Every list of tasks it holds, by property (`cases.<value>` for a Switch's cases)."""
        found: dict[str, tuple[TaskDefinition, ...]] = {}
        for name, value in self:
            key = name.removesuffix("_")
            if isinstance(value, dict):
                found.update({f"{key}.{case}": tasks for case, tasks in value.items() if _is_tasks(tasks)})
            elif _is_tasks(value):
                found[key] = value
            elif isinstance(value, tuple) and value and all(hasattr(node, "task") for node in value):
                found[key] = tuple(node.task for node in value)  # a Dag's nodes
        return found


class ExecutorTask(TaskGroup):
    """A task the executor resolves itself (a branch, a loop, a pause, a subflow): no worker runs it."""


def _is_tasks(value: Any) -> bool:
    return isinstance(value, tuple) and bool(value) and all(isinstance(item, TaskDefinition) for item in value)


def walk(tasks: tuple[TaskDefinition, ...]) -> Iterator[TaskDefinition]:
    """Every task of a tree, each before the tasks it holds."""
    for task in tasks:
        yield task
        if isinstance(task, TaskGroup):
            for branch in task.branches().values():
                yield from walk(branch)


class FlowableTask(ExecutorTask):
    """A task that holds other tasks; its own `errors` and `finally` run when its children fail or end."""

    errors: Tasks = ()
    finally_: Tasks = Field(default=(), alias="finally")
