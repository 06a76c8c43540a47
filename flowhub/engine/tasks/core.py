"""Kestra's core runnable tasks: `log.Log`, `debug.Return`, `debug.Echo`, `output.OutputValues`,
`execution.Fail`, `flow.Sleep`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from flowhub.engine import templating
from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure
from flowhub.engine.fields import Duration, LogLevel
from flowhub.engine.registry import TaskDefinition

from . import properties


class Log(TaskDefinition):
    """Write one log line per message, at the given level."""

    TYPE = "io.kestra.plugin.core.log.Log"
    ALIASES = ("io.kestra.core.tasks.log.Log",)

    message: str | list[str]
    level: LogLevel = LogLevel.INFO

    def run(self, ctx: RunContext) -> dict[str, Any]:
        messages = self.message if isinstance(self.message, list) else [self.message]
        for message in messages:
            ctx.log(self.level.value, str(ctx.render(message)))
        return {}


class Return(TaskDefinition):
    """Render `format` and return it as the output `value`."""

    TYPE = "io.kestra.plugin.core.debug.Return"
    ALIASES = ("io.kestra.core.tasks.debugs.Return",)

    format: str | None = None

    def run(self, ctx: RunContext) -> dict[str, Any]:
        return {"value": ctx.render(self.format) if self.format is not None else None}


class OutputValues(TaskDefinition):
    """Render `values` (maps and lists all the way down) and return them as the output `values`."""

    TYPE = "io.kestra.plugin.core.output.OutputValues"

    values: dict[str, Any] = Field(default_factory=dict)

    def run(self, ctx: RunContext) -> dict[str, Any]:
        return {"values": ctx.render(self.values)}


class Fail(TaskDefinition):
    """Fail with `errorMessage`; with a `condition`, only when it renders truthy."""

    TYPE = "io.kestra.plugin.core.execution.Fail"
    ALIASES = ("io.kestra.core.tasks.executions.Fail",)

    condition: str | bool | None = None
    errorMessage: str = "Task failure"

    def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.condition is None or templating.is_truthy(ctx.render(self.condition)):
            raise TaskFailure(str(ctx.render(self.errorMessage)))
        return {}


class Echo(TaskDefinition):
    """Write the rendered `format` as a log line at `level` (deprecated in Kestra: use Log)."""

    TYPE = "io.kestra.plugin.core.debug.Echo"
    ALIASES = ("io.kestra.core.tasks.debugs.Echo",)

    format: str
    level: LogLevel = LogLevel.INFO

    def run(self, ctx: RunContext) -> dict[str, Any]:
        ctx.log(self.level.value, str(ctx.render(self.format)))
        return {}


class Sleep(TaskDefinition):
    """Wait for `duration` (ISO-8601), then succeed; a stop request ends the wait at once."""

    TYPE = "io.kestra.plugin.core.flow.Sleep"

    duration: Duration = Field(examples=["PT1S"])

    def run(self, ctx: RunContext) -> dict[str, Any]:
        if ctx.stop.wait(properties.duration(ctx, "duration", self.duration).total_seconds()):
            raise TaskFailure("stopped while sleeping")
        return {}


TASK_TYPES: tuple[type[TaskDefinition], ...] = (Log, Return, Echo, OutputValues, Fail, Sleep)
