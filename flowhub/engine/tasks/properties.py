"""Property types and rendering helpers that the runnable task types share.

A property written literally is checked when the flow is saved; one written as an expression is
checked once it is rendered, and a bad value then fails the task with the property's name.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import IO, Annotated, Any

from pydantic import AfterValidator

from flowhub.engine import templating
from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure
from flowhub.engine.inputs.temporal import to_duration
from flowhub.engine.kv import key_problem
from flowhub.engine.namespaces import validate_namespace

Check = Callable[[str], str | None]


def checked_when_literal(check: Check) -> AfterValidator:
    """A validator applying `check` at save time to a value that is not an expression."""

    def validate(value: str) -> str:
        if not templating.is_template(value) and (problem := check(value)):
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


KVKey = Annotated[str, checked_when_literal(key_problem)]
"""A KV key, or an expression that renders to one."""

NamespaceName = Annotated[str, checked_when_literal(validate_namespace)]
"""A namespace, or an expression that renders to one."""


def text(ctx: RunContext, name: str, value: Any, check: Check | None = None) -> str:
    """`value` rendered to text; TaskFailure naming the property `name` if `check` finds it wrong."""
    rendered = ctx.render(value)
    if not isinstance(rendered, str):
        raise TaskFailure(f"{name}: expected text, got {type(rendered).__name__}")
    if check is not None and (problem := check(rendered)):
        raise TaskFailure(f"{name} '{rendered[:200]}': {problem}")
    return rendered


def namespace(ctx: RunContext, value: str | None) -> str:
    """The rendered `namespace` property, the flow's own namespace when it is not set."""
    if value is None:
        return str(ctx.variables["flow"]["namespace"])
    return text(ctx, "namespace", value, validate_namespace)


def duration(ctx: RunContext, name: str, value: str) -> timedelta:
    rendered = text(ctx, name, value)
    try:
        return to_duration(rendered)
    except ValueError as exc:
        raise TaskFailure(f"{name} '{rendered[:200]}': {exc}") from None


EXECUTION_FILE_SCHEME = "kestra://"


def content_stream(ctx: RunContext, source: str) -> IO[bytes]:
    """What a file property gives: the execution file a `kestra://` URI names, else the text itself."""
    if source.startswith(EXECUTION_FILE_SCHEME):
        return ctx.services.execution_file_open(ctx.task_run, source)
    return io.BytesIO(source.encode("utf-8"))


def files_map(ctx: RunContext, name: str, value: dict[str, str] | str) -> dict[str, str]:
    """A map of file name to content or `kestra://` URI, rendered; or an expression giving one as JSON."""
    if isinstance(value, dict):
        return {text(ctx, name, target): text(ctx, f"{name}.{target}", source) for target, source in value.items()}
    rendered = text(ctx, name, value)
    try:
        parsed = json.loads(rendered)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(isinstance(source, str) for source in parsed.values()):
        raise TaskFailure(f"{name}: expected a map of names to texts, as JSON, got '{rendered[:200]}'")
    return parsed
