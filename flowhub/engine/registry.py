"""Task types: each is a pydantic model of its properties, registered under Kestra's type names.

The model is the schema: validation errors name the exact property, and `json_schema()` is what
the plugins API publishes. Third-party types register through the `flowhub.tasks` entry points.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import templating
from .context import RunContext

TASK_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"
ENTRY_POINT_GROUP = "flowhub.tasks"


class TaskDefinition(BaseModel):
    """Properties common to every task; subclasses add their own and implement `run`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    ALIASES: ClassVar[tuple[str, ...]] = ()

    id: str = Field(pattern=TASK_ID_PATTERN, min_length=1, max_length=100)
    type: str
    description: str | None = None

    def run(self, ctx: RunContext) -> dict[str, Any]:
        """Do the work and return the task's outputs. Raising fails the task run."""
        raise NotImplementedError

    @field_validator("*", mode="after")
    @classmethod
    def _expressions_parse(cls, value: Any) -> Any:
        """A template syntax error is a save-time error, not a surprise at run time."""
        for text in _strings(value):
            if problem := templating.check_syntax(text):
                raise ValueError(problem)
        return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


class Registry:
    def __init__(self) -> None:
        self._types: dict[str, type[TaskDefinition]] = {}

    def register(self, task_type: type[TaskDefinition]) -> type[TaskDefinition]:
        for name in (task_type.TYPE, *task_type.ALIASES):
            self._types[name] = task_type
        return task_type

    def resolve(self, name: str) -> type[TaskDefinition] | None:
        return self._types.get(name)

    def types(self) -> list[type[TaskDefinition]]:
        """Each type once, in registration order; one registered again under a full name replaces the old."""
        return [task_type for name, task_type in self._types.items() if name == task_type.TYPE]

    def load_entry_points(self) -> None:
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            self.register(entry_point.load())


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _docstring(task_type: type[TaskDefinition]) -> str:
    """The type's own docstring; `inspect.getdoc` would lend it TaskDefinition's when it has none."""
    return inspect.cleandoc(task_type.__doc__) if task_type.__doc__ else ""


def describe(task_type: type[TaskDefinition]) -> dict[str, Any]:
    """What the plugins list shows of a type: its names and the first line of its docstring."""
    doc = _docstring(task_type)
    return {
        "type": task_type.TYPE,
        "aliases": list(task_type.ALIASES),
        "kind": "task",
        "title": doc.splitlines()[0] if doc else task_type.TYPE,
        "description": doc,
    }


def json_schema(task_type: type[TaskDefinition]) -> dict[str, Any]:
    """The JSON Schema of a task of this type, as it is written in a flow."""
    schema = task_type.model_json_schema()
    schema["properties"]["type"] = {"type": "string", "enum": [task_type.TYPE, *task_type.ALIASES]}
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        **schema,
        "title": task_type.TYPE,
        "description": _docstring(task_type),
    }


def default_registry() -> Registry:
    from .tasks import core

    registry = Registry()
    for task_type in core.TASK_TYPES:
        registry.register(task_type)
    registry.load_entry_points()
    return registry
