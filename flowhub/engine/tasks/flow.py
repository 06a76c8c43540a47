"""Kestra's flowable tasks (`io.kestra.plugin.core.flow.*`): branches, loops, groups, pauses, subflows.

These declare what a flow may say; the executor resolves them (DESIGN.md §4), except WorkingDirectory,
which a worker runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from flowhub.engine import graphs
from flowhub.engine.context import RunContext
from flowhub.engine.fields import Duration, NamespaceFiles, Strict
from flowhub.engine.flowable import (
    CHILDREN_REPORTED,
    TASK_LIST_SCHEMA,
    TASK_SCHEMA,
    ExecutorTask,
    FlowableTask,
    RequiredTasks,
    TaskGroup,
    Tasks,
    branch_parser,
)
from flowhub.engine.inputs import InputSpec
from flowhub.engine.inputs.values import as_text
from flowhub.engine.registry import TaskDefinition

from . import working_directory

_OLD = "io.kestra.core.tasks.flows."


class Sequential(FlowableTask):
    """Run the tasks one after the other."""

    TYPE = "io.kestra.plugin.core.flow.Sequential"
    ALIASES = (_OLD + "Sequential",)

    tasks: RequiredTasks


class Parallel(FlowableTask):
    """Run the tasks at the same time, at most `concurrent` at once (0: no limit)."""

    TYPE = "io.kestra.plugin.core.flow.Parallel"
    ALIASES = (_OLD + "Parallel",)

    tasks: RequiredTasks
    concurrent: int = Field(default=0, ge=0)


class If(FlowableTask):
    """Run `then` when the condition renders truthy, `else` otherwise."""

    TYPE = "io.kestra.plugin.core.flow.If"
    ALIASES = (_OLD + "If",)

    condition: str | bool
    then: RequiredTasks
    else_: Tasks = Field(default=(), alias="else")


def _cases(value: Any, info: ValidationInfo) -> dict[str, tuple[TaskDefinition, ...]]:
    """Each case's tasks, keyed by the case's text: YAML's `true:` is the case "true", as in Kestra."""
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of case values to lists of tasks")
    parser = branch_parser(info)
    if parser is None:
        return value
    cases: dict[str, tuple[TaskDefinition, ...]] = {}
    children_failed = False
    for key, tasks in value.items():
        try:
            cases[as_text(key)] = parser.tasks(tasks, ("cases", key), required=True)
        except PydanticCustomError:
            children_failed = True
        except ValueError as exc:
            raise ValueError(f"case '{as_text(key)}' {exc}") from None
    if children_failed:
        raise PydanticCustomError(CHILDREN_REPORTED, "a case has invalid tasks")
    return cases


Cases = Annotated[
    dict[str, tuple[TaskDefinition, ...]],
    BeforeValidator(_cases),
    WithJsonSchema({"type": "object", "additionalProperties": TASK_LIST_SCHEMA}),
]


class Switch(FlowableTask):
    """Run the tasks of the case matching the rendered `value`, or `defaults` when none does."""

    TYPE = "io.kestra.plugin.core.flow.Switch"
    ALIASES = (_OLD + "Switch",)

    value: str | int | float | bool
    cases: Cases = Field(default_factory=dict)
    defaults: Tasks = ()


Values = str | list[Any]
"""A list, or an expression rendering to a JSON array."""


class ForEach(FlowableTask):
    """Run the tasks once per value, `concurrencyLimit` values at once (1: one by one; 0: no limit)."""

    TYPE = "io.kestra.plugin.core.flow.ForEach"

    values: Values
    concurrencyLimit: int = Field(default=1, ge=0)
    tasks: RequiredTasks


class EachSequential(FlowableTask):
    """Run the tasks once per value, one value after the other. Deprecated: use ForEach."""

    TYPE = "io.kestra.plugin.core.flow.EachSequential"
    ALIASES = (_OLD + "EachSequential",)

    value: Values
    tasks: RequiredTasks


class EachParallel(FlowableTask):
    """Run the tasks once per value, `concurrent` values at once (0: all). Deprecated: use ForEach."""

    TYPE = "io.kestra.plugin.core.flow.EachParallel"
    ALIASES = (_OLD + "EachParallel",)

    value: Values
    concurrent: int = Field(default=0, ge=0)
    tasks: RequiredTasks


class DagNode(Strict):
    task: Annotated[TaskDefinition, WithJsonSchema(TASK_SCHEMA)]
    dependsOn: tuple[str, ...] = ()


def _dag_nodes(value: Any, info: ValidationInfo) -> Any:
    parser = branch_parser(info)
    if parser is None or not isinstance(value, list):
        return value
    nodes: list[Any] = []
    children_failed = False
    for index, node in enumerate(value):
        if isinstance(node, dict) and "task" in node:
            try:
                node = {**node, "task": parser.task(node["task"], ("tasks", index, "task"))}
            except PydanticCustomError:
                children_failed = True
        nodes.append(node)
    if children_failed:
        raise PydanticCustomError(CHILDREN_REPORTED, "a node has an invalid task")
    return nodes


class Dag(FlowableTask):
    """Run each task once the tasks it `dependsOn` have ended, `concurrent` at once (0: no limit)."""

    TYPE = "io.kestra.plugin.core.flow.Dag"
    ALIASES = (_OLD + "Dag",)

    tasks: Annotated[tuple[DagNode, ...], BeforeValidator(_dag_nodes)] = Field(min_length=1)
    concurrent: int = Field(default=0, ge=0)

    @field_validator("tasks", mode="after")
    @classmethod
    def _dependencies_exist_without_cycles(cls, nodes: tuple[DagNode, ...]) -> tuple[DagNode, ...]:
        edges = {node.task.id: node.dependsOn for node in nodes}
        for node in nodes:
            if unknown := [name for name in node.dependsOn if name not in edges]:
                raise ValueError(f"task '{node.task.id}' depends on {unknown}, which this Dag does not hold")
        if found := graphs.cycles(edges):
            raise ValueError(f"the dependencies form a cycle: {next(iter(found.values()))}")
        return nodes


class AllowFailure(FlowableTask):
    """Run the tasks; their failure makes this task WARNING and the flow goes on. Deprecated."""

    TYPE = "io.kestra.plugin.core.flow.AllowFailure"
    ALIASES = (_OLD + "AllowFailure",)

    tasks: RequiredTasks


class Cache(Strict):
    patterns: tuple[str, ...]
    ttl: Duration | None = None


class WorkingDirectory(TaskGroup):
    """Run the tasks one after the other on one worker, in one working directory they share; then, there
    too, `errors` if one failed and `finally`. Outputs `outputFiles` (name → URI) with `outputFiles` globs.

    A worker runs it (not the executor); each of its tasks is a task run of its own.
    """

    TYPE = "io.kestra.plugin.core.flow.WorkingDirectory"
    ALIASES = (_OLD + "WorkingDirectory", _OLD + "Worker")

    tasks: RequiredTasks
    errors: Tasks = ()
    finally_: Tasks = Field(default=(), alias="finally")
    inputFiles: dict[str, str] | str | None = None
    outputFiles: tuple[str, ...] = ()
    namespaceFiles: NamespaceFiles | None = None
    cache: Cache | None = None

    @field_validator("tasks", "errors", "finally_", mode="after")
    @classmethod
    def _runnable_only(cls, tasks: tuple[TaskDefinition, ...]) -> tuple[TaskDefinition, ...]:
        if any(isinstance(task, TaskGroup) for task in tasks):
            raise ValueError("Only runnable tasks are allowed as children of a WorkingDirectory task")
        return tasks

    def run(self, ctx: RunContext) -> dict[str, Any]:
        return working_directory.run(self, ctx)


class Pause(FlowableTask):
    """Pause the execution until it is resumed, or for `pauseDuration` (older name: `delay`), then apply
    `behavior`. Resumed, it runs its deprecated `tasks` one after the other, if any."""

    TYPE = "io.kestra.plugin.core.flow.Pause"
    ALIASES = (_OLD + "Pause",)

    pauseDuration: Duration | None = None
    delay: Duration | None = None
    behavior: Literal["RESUME", "WARN", "FAIL", "CANCEL"] = "RESUME"
    onResume: tuple[InputSpec, ...] = ()
    tasks: Tasks = ()


class Subflow(ExecutorTask):
    """Start an execution of another flow, and by default wait for it and take its outputs."""

    TYPE = "io.kestra.plugin.core.flow.Subflow"
    ALIASES = (_OLD + "Subflow", _OLD + "Flow")

    namespace: str
    flowId: str
    revision: int | None = Field(default=None, ge=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] | list[dict[str, Any]] | None = None
    wait: bool = True
    transmitFailed: bool = True
    inheritLabels: bool = False
    scheduleDate: str | None = None

    @field_validator("labels")
    @classmethod
    def _labels_are_pairs(cls, labels: dict[str, Any] | list[dict[str, Any]] | None) -> Any:
        if isinstance(labels, list) and not all(set(label) == {"key", "value"} for label in labels):
            raise ValueError("must be a mapping, or a list of {key, value}")
        return labels

    def flow_problems(self, namespace: str, flow_id: str) -> Iterator[str]:
        if (self.namespace, self.flowId) == (namespace, flow_id):
            yield f"Recursive call to flow [{namespace}.{flow_id}]"


TASK_TYPES: tuple[type[TaskDefinition], ...] = (
    Sequential, Parallel, If, Switch, ForEach, EachSequential, EachParallel, Dag, AllowFailure, WorkingDirectory,
    Pause, Subflow,
)  # fmt: skip
