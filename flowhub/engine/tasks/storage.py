"""Kestra's `storage.Write`: a rendered text stored as a file of the execution."""

from __future__ import annotations

import io
from typing import Annotated, Any

from pydantic import Field

from flowhub.engine.context import RunContext
from flowhub.engine.ids import new_id
from flowhub.engine.registry import TaskDefinition

from . import properties


def _extension_problem(extension: str) -> str | None:
    return "must not contain '/' or '\\'" if "/" in extension or "\\" in extension else None


class Write(TaskDefinition):
    """Store the rendered `content` as a file (named with `extension`); its URI is the output `uri`."""

    TYPE = "io.kestra.plugin.core.storage.Write"

    content: str
    extension: Annotated[str, properties.checked_when_literal(_extension_problem)] = Field(
        default=".ion", max_length=50
    )

    def run(self, ctx: RunContext) -> dict[str, Any]:
        content = properties.text(ctx, "content", self.content)
        extension = properties.text(ctx, "extension", self.extension, _extension_problem)
        data = io.BytesIO(content.encode("utf-8"))
        return {"uri": ctx.services.execution_file_write(ctx.task_run, new_id() + extension, data)}


TASK_TYPES: tuple[type[TaskDefinition], ...] = (Write,)
