"""Plugin types (tasks and triggers): each is a pydantic model of its properties, registered under
Kestra's type names.

The model is the schema: validation errors name the exact property, and `json_schema()` is what
the plugins API publishes. Third-party types register through the `flowhub.tasks` entry points.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from enum import StrEnum
from importlib.metadata import entry_points
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import templating
from .conditions import Condition as Condition
from .conditions import PlainCondition as PlainCondition
from .conditions import label_pairs
from .context import RunContext
from .fields import Duration, LogLevel, Retry, WorkerGroup

TASK_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"
ENTRY_POINT_GROUP = "flowhub.tasks"


class PluginKind(StrEnum):
    TASK = "task"
    TRIGGER = "trigger"


class Plugin(BaseModel):
    """What tasks and triggers share: Kestra's type names, an id, and properties checked at save time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    ALIASES: ClassVar[tuple[str, ...]] = ()
    KIND: ClassVar[PluginKind]

    id: str = Field(pattern=TASK_ID_PATTERN, min_length=1, max_length=100)
    type: str
    description: str | None = None

    @field_validator("*", mode="after")
    @classmethod
    def _expressions_parse(cls, value: Any) -> Any:
        """A template syntax error is a save-time error, not a surprise at run time."""
        for text in _strings(value):
            if problem := templating.check_syntax(text):
                raise ValueError(problem)
        return value

    def flow_problems(self, namespace: str, flow_id: str) -> Iterator[str]:
        """What is wrong with this plugin in the flow `namespace.flow_id`, beyond its own properties."""
        return iter(())


class TaskDefinition(Plugin):
    """Properties common to every task; subclasses add their own and implement `run`."""

    KIND = PluginKind.TASK

    disabled: bool = False
    timeout: Duration | None = None
    retry: Retry | None = None
    allowFailure: bool = False
    allowWarning: bool = False
    runIf: str | bool | None = None
    logLevel: LogLevel | None = None
    logToFile: bool = False
    workerGroup: WorkerGroup | None = None

    def run(self, ctx: RunContext) -> dict[str, Any]:
        """Do the work and return the task's outputs. Raising fails the task run."""
        raise NotImplementedError


class TriggerDefinition(Plugin):
    """Properties common to every trigger: what starts a flow other than a direct call."""

    KIND = PluginKind.TRIGGER

    disabled: bool = False
    conditions: tuple[PlainCondition, ...] = ()
    stopAfter: tuple[str, ...] = ()
    labels: dict[str, Any] | list[dict[str, Any]] | None = None
    logLevel: LogLevel | None = None
    workerGroup: WorkerGroup | None = None

    @field_validator("labels")
    @classmethod
    def _no_system_labels(cls, labels: dict[str, Any] | list[dict[str, Any]] | None) -> Any:
        """`system.` labels are flowhub's to set on the executions a trigger starts, as a flow's are."""
        for key, _ in label_pairs(labels or {}):
            if key.startswith("system."):
                raise ValueError(f"'{key}': system labels can only be set by flowhub itself")
        return labels


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


PluginType = TypeVar("PluginType", bound=type[Plugin])


class Registry:
    def __init__(self) -> None:
        self._types: dict[str, type[Plugin]] = {}

    def register(self, plugin_type: PluginType) -> PluginType:
        for name in (plugin_type.TYPE, *plugin_type.ALIASES):
            self._types[name] = plugin_type
        return plugin_type

    def resolve(self, name: str) -> type[Plugin] | None:
        return self._types.get(name)

    def task(self, name: str) -> type[TaskDefinition] | None:
        found = self._types.get(name)
        return found if found is not None and issubclass(found, TaskDefinition) else None

    def trigger(self, name: str) -> type[TriggerDefinition] | None:
        found = self._types.get(name)
        return found if found is not None and issubclass(found, TriggerDefinition) else None

    def types(self) -> list[type[Plugin]]:
        """Each type once, in registration order; one registered again under a full name replaces the old."""
        return [plugin_type for name, plugin_type in self._types.items() if name == plugin_type.TYPE]

    def load_entry_points(self) -> None:
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            self.register(entry_point.load())


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _docstring(plugin_type: type[Plugin]) -> str:
    """The type's own docstring; `inspect.getdoc` would lend it a base class's when it has none."""
    return inspect.cleandoc(plugin_type.__doc__) if plugin_type.__doc__ else ""


def describe(plugin_type: type[Plugin]) -> dict[str, Any]:
    """What the plugins list shows of a type: its names, its kind and the first line of its docstring."""
    doc = _docstring(plugin_type)
    return {
        "type": plugin_type.TYPE,
        "aliases": list(plugin_type.ALIASES),
        "kind": plugin_type.KIND.value,
        "title": doc.splitlines()[0] if doc else plugin_type.TYPE,
        "description": doc,
    }


def json_schema(plugin_type: type[Plugin]) -> dict[str, Any]:
    """The JSON Schema of a task or trigger of this type, as it is written in a flow."""
    schema = plugin_type.model_json_schema()
    schema["properties"]["type"] = {"type": "string", "enum": [plugin_type.TYPE, *plugin_type.ALIASES]}
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        **schema,
        "title": plugin_type.TYPE,
        "description": _docstring(plugin_type),
    }


def default_registry() -> Registry:
    from .tasks import BUILT_IN

    registry = Registry()
    for plugin_type in BUILT_IN:
        registry.register(plugin_type)
    registry.load_entry_points()
    return registry
