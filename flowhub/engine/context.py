"""The variables a template sees, and the context object a running task works through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import templating
from .functions import RevealedSecrets
from .ports import LogSink

if TYPE_CHECKING:
    from .model import Flow


@dataclass(frozen=True)
class ExecutionInfo:
    id: str
    state: str
    start_date: str | None
    original_id: str
    flow_revision: int
    labels: dict[str, str]
    inputs: dict[str, Any]


def variables(
    flow: Flow,
    execution: ExecutionInfo,
    outputs: dict[str, Any],
    *,
    task: dict[str, Any] | None = None,
    taskrun: dict[str, Any] | None = None,
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> dict[str, Any]:
    """Kestra's expression context: flow, execution, inputs, outputs, vars, labels, task, taskrun, functions."""
    context: dict[str, Any] = {
        **(functions or {}),
        "flow": {"id": flow.id, "namespace": flow.namespace, "revision": execution.flow_revision},
        "execution": {
            "id": execution.id,
            "state": execution.state,
            "startDate": execution.start_date,
            "originalId": execution.original_id,
        },
        "inputs": execution.inputs,
        "outputs": outputs,
        "vars": flow.variables,
        "labels": execution.labels,
    }
    if task is not None:
        context["task"] = task
    if taskrun is not None:
        context["taskrun"] = taskrun
    return context


class RunContext:
    """What a runnable task may use while it runs: rendering against its context, and logging.

    Log lines are written with every secret the run has read masked.
    """

    def __init__(self, variables: dict[str, Any], log_sink: LogSink, revealed: RevealedSecrets | None = None):
        self.variables = variables
        self.revealed = revealed or RevealedSecrets()
        self._log_sink = log_sink

    def render(self, value: Any) -> Any:
        return templating.render_value(value, self.variables)

    def log(self, level: str, message: str) -> None:
        self._log_sink.emit(level, self.revealed.mask(message))
