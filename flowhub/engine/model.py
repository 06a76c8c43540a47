"""A parsed, validated flow: what the planner and the workers read."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pydantic import Field

from .errors import ErrorDetail
from .fields import Retry, Strict
from .flowable import walk
from .inputs import InputSpec, OutputSpec
from .registry import TaskDefinition, TriggerDefinition


class Concurrency(Strict):
    """At most `limit` executions of the flow run at once; `behavior` says what happens to the next."""

    limit: int = Field(ge=1)
    behavior: Literal["QUEUE", "CANCEL", "FAIL"] = "QUEUE"


class Policies(Strict):
    """The flow-level properties that are plain settings rather than tasks."""

    concurrency: Concurrency | None = None
    retry: Retry | None = None


@dataclass(frozen=True)
class Flow:
    id: str
    namespace: str
    tasks: tuple[TaskDefinition, ...]
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    inputs: tuple[InputSpec, ...] = ()
    outputs: tuple[OutputSpec, ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)
    disabled: bool = False
    errors: tuple[TaskDefinition, ...] = ()
    finally_: tuple[TaskDefinition, ...] = ()
    after_execution: tuple[TaskDefinition, ...] = ()
    triggers: tuple[TriggerDefinition, ...] = ()
    policies: Policies = field(default_factory=Policies)
    not_runnable: tuple[ErrorDetail, ...] = ()
    """What the flow asks for that flowhub cannot run yet; an execution is refused while this is not empty."""
    document: dict[str, Any] = field(default_factory=dict)
    """The YAML document as parsed, for rendering the flow back as JSON."""

    def task(self, task_id: str) -> TaskDefinition:
        """Any task of the flow, however deep, in `errors`, `finally` and `afterExecution` too."""
        return self._tasks_by_id[task_id]

    @cached_property
    def _tasks_by_id(self) -> dict[str, TaskDefinition]:
        every = walk((*self.tasks, *self.errors, *self.finally_, *self.after_execution))
        return {task.id: task for task in every}
