"""The variables a template sees, and the context object a running task works through."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import templating
from .errors import EngineError
from .functions import RevealedSecrets
from .ports import LogSink, Subtasks, TaskRunRef, TaskServices

if TYPE_CHECKING:
    from .model import Flow

ENV_PREFIX = "ENV_"
"""Kestra's default `kestra.variables.env-vars-prefix`: `ENV_MY_VAR` is `{{ envs.my_var }}`."""


@dataclass(frozen=True)
class ExecutionInfo:
    id: str
    state: str
    start_date: str | None
    original_id: str
    flow_revision: int
    labels: dict[str, str]
    inputs: dict[str, Any]
    trigger: dict[str, Any] | None = None
    """Kestra's `{id, type, variables}` of what started the execution; None when started by hand."""


def variables(
    flow: Flow,
    execution: ExecutionInfo,
    outputs: dict[str, Any],
    *,
    task: dict[str, Any] | None = None,
    taskrun: dict[str, Any] | None = None,
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> dict[str, Any]:
    """Kestra's expression context: flow, execution, inputs, outputs, vars, labels, envs, trigger (when the
    execution has one), task, taskrun, functions."""
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
        "labels": nested_labels(execution.labels),
        "envs": env_variables(os.environ),
    }
    if execution.trigger is not None:
        context["trigger"] = execution.trigger.get("variables") or {}
    if task is not None:
        context["task"] = task
    if taskrun is not None:
        context["taskrun"] = taskrun
    return context


def nested_labels(labels: Mapping[str, str]) -> dict[str, Any]:
    """Labels as Kestra's templates see them: a dotted key nests, `system.correlationId` is
    `labels.system.correlationId`. A key that clashes with another's nesting stays as written."""
    nested: dict[str, Any] = {}
    for key, value in labels.items():
        *groups, leaf = key.split(".")
        level: Any = nested
        for group in groups:
            level = level.setdefault(group, {}) if isinstance(level, dict) else None
        if isinstance(level, dict) and leaf not in level:
            level[leaf] = value
        else:
            nested.setdefault(key, value)
    return nested


def env_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """The server's `ENV_`-prefixed environment variables, without the prefix and lower-cased: Kestra's `envs`."""
    prefixed = (name for name in environ if name.startswith(ENV_PREFIX))
    return {name.removeprefix(ENV_PREFIX).lower(): environ[name] for name in prefixed}


class RunContext:
    """What a runnable task may use while it runs: rendering against its context, logging, and `services`
    (KV, namespace and execution files) as the task run `task_run`.

    Log lines are written with every secret the run has read masked. Setting `stop` asks a long task
    (Sleep, a script) to end early. Inside a WorkingDirectory, `working_dir` is the directory its tasks
    share. A task that succeeds with a warning sets `warned`.
    """

    def __init__(
        self,
        variables: dict[str, Any],
        log_sink: LogSink,
        revealed: RevealedSecrets | None = None,
        *,
        services: TaskServices | None = None,
        task_run: TaskRunRef | None = None,
        working_dir: Path | None = None,
        subtasks: Subtasks | None = None,
    ):
        self.variables = variables
        self.revealed = revealed or RevealedSecrets()
        self._log_sink = log_sink
        self._services = services
        self._task_run = task_run
        self._subtasks = subtasks
        self.working_dir = working_dir
        self.stop = threading.Event()
        self.warned = False

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

    @property
    def subtasks(self) -> Subtasks:
        if self._subtasks is None:
            raise EngineError("this task runs other tasks, which its run context cannot do")
        return self._subtasks

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """`value` rendered against the run's variables, and `extra` ones (a script's `workingDir`)."""
        return templating.render_value(value, {**self.variables, **extra} if extra else self.variables)

    def log(self, level: str, message: str) -> None:
        self._log_sink.emit(level, self.revealed.mask(message))

    def flush_logs_if_due(self) -> None:
        self._log_sink.flush_if_due()
