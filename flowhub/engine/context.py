"""The variables a template sees, and the context object a running task works through."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import templating
from .errors import EngineError
from .functions import RevealedSecrets
from .ports import LogSink, TaskRunRef, TaskServices

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
    """What a runnable task may use while it runs: rendering against its context, logging, and `services`
    (KV, namespace and execution files) as the task run `task_run`.

    Log lines are written with every secret the run has read masked. Setting `stop` asks a long task
    (Sleep, a script) to end early.
    """

    def __init__(
        self,
        variables: dict[str, Any],
        log_sink: LogSink,
        revealed: RevealedSecrets | None = None,
        *,
        services: TaskServices | None = None,
        task_run: TaskRunRef | None = None,
    ):
        self.variables = variables
        self.revealed = revealed or RevealedSecrets()
        self._log_sink = log_sink
        self._services = services
        self._task_run = task_run
        self.stop = threading.Event()

    @property
    def services(self) -> TaskServices:
        if self._services is None:
            raise EngineError("this task needs the server's services, which its run context was not given")
        return self._services

    @property
    def task_run(self) -> TaskRunRef:
        if self._task_run is None:
            raise EngineError("this task needs to know its task run, which its run context was not given")
        return self._task_run

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """`value` rendered against the run's variables, and `extra` ones (a script's `workingDir`)."""
        return templating.render_value(value, {**self.variables, **extra} if extra else self.variables)

    def log(self, level: str, message: str) -> None:
        self._log_sink.emit(level, self.revealed.mask(message))
