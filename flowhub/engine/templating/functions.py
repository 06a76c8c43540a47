"""Kestra's template functions that need nothing outside the template: `render()`, `uuid()`,
`range()`… (`kv()`, `secret()` and `read()` come with the context, from flowhub.engine.functions)."""

from __future__ import annotations

import secrets
import time
import uuid as uuid_module
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2.runtime import Context

from flowhub.engine import ids
from flowhub.engine.errors import TemplateError

from . import limits
from .operators import inclusive_range
from .text import a_kind

MAX_RENDER_PASSES = 100

RenderText = Callable[[str, dict[str, Any]], str]


def rendering_functions(render_text: RenderText, is_template: Callable[[str], bool]) -> dict[str, Callable[..., Any]]:
    """`render()` and `renderOnce()`, which evaluate the expressions inside a value with the
    variables of the template that calls them."""

    @jinja2.pass_context
    def render(context: Context, template: Any, recursive: bool = True) -> str:
        """The text rendered again and again (at most MAX_RENDER_PASSES times) until it stops changing."""
        if not isinstance(template, str):
            raise TypeError(f"expects a text, not {a_kind(template)}")
        variables, text = context.get_all(), template
        for _ in range(MAX_RENDER_PASSES if recursive else 1):
            limits.check_time()
            rendered = _render_once(render_text, text, variables)
            if rendered == text or not is_template(rendered):
                return rendered
            text = rendered
        if recursive:
            raise TemplateError(f"the text still changes after {MAX_RENDER_PASSES} passes")
        return text

    @jinja2.pass_context
    def render_once(context: Context, template: Any) -> str:
        return render(context, template, recursive=False)

    return {"render": render, "renderOnce": render_once}


def _render_once(render_text: RenderText, template: str, variables: dict[str, Any]) -> str:
    try:
        return render_text(template, variables)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(f"invalid expression '{template}' at line {error.lineno}: {error.message}") from None


@jinja2.pass_context
def print_context(context: Context) -> dict[str, Any]:
    """The variables the template sees (Kestra's `printContext()`), without the functions."""
    functions = context.environment.globals
    return {name: value for name, value in context.get_all().items() if name not in functions and not callable(value)}


def uuid() -> str:
    """A time-ordered UUID (version 7), as Kestra's `uuid()` gives."""
    milliseconds = time.time_ns() // 10**6
    random_a, random_b = secrets.randbits(12), secrets.randbits(62)
    return str(uuid_module.UUID(int=milliseconds << 80 | 0x7 << 76 | random_a << 64 | 0b10 << 62 | random_b))


def random_int(lower: int, upper: int) -> int:
    """A random integer from `lower` included to `upper` excluded."""
    for bound in (lower, upper):
        if isinstance(bound, bool) or not isinstance(bound, int):
            raise TypeError(f"expects integers, not {a_kind(bound)}")
    if upper < lower:
        raise ValueError("upper is less than lower")
    return lower + secrets.randbelow(upper - lower) if upper > lower else lower


def range_(start: Any, end: Any, increment: Any = 1) -> list[Any]:
    """`range(0, 3)` is `[0, 1, 2, 3]`: Pebble's ranges include their end."""
    return inclusive_range(start, end, increment)


def maximum(*values: Any) -> Any:
    return max(values) if values else None


def minimum(*values: Any) -> Any:
    return min(values) if values else None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "printContext": print_context,
    "uuid": uuid,
    "id": ids.new_id,
    "randomInt": random_int,
    "range": range_,
    "max": maximum,
    "min": minimum,
}
