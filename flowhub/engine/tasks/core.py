"""Kestra's core runnable tasks: `log.Log` and `debug.Return`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flowhub.engine.context import RunContext
from flowhub.engine.registry import TaskDefinition


class Level(StrEnum):
    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class Log(TaskDefinition):
    """Write one log line per message, at the given level."""

    TYPE = "io.kestra.plugin.core.log.Log"
    ALIASES = ("io.kestra.core.tasks.log.Log",)

    message: str | list[str]
    level: Level = Level.INFO

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


TASK_TYPES: tuple[type[TaskDefinition], ...] = (Log, Return)
