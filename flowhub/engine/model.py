"""A parsed, validated flow: what the planner and the workers read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .inputs import InputSpec, OutputSpec
from .registry import TaskDefinition


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
    document: dict[str, Any] = field(default_factory=dict)
    """The YAML document as parsed, for rendering the flow back as JSON."""

    def task(self, task_id: str) -> TaskDefinition:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)
