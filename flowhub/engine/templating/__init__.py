"""Kestra's `{{ … }}` expressions (Pebble's syntax), translated to Jinja2 and run in its sandbox.

Kestra's Pebble is strict (an undefined variable is an error), writes maps and lists as JSON,
booleans as `true`/`false` and null as nothing; this package does the same, with Pebble's operators
(`??`, `? :`, `contains`, `..`), tags (`{% elseif %}`), tests, loop variables and Kestra's filters
and functions. A template reaches only the context it is given: the sandbox blocks Python's
internals, and limits.py bounds what a rendering may cost.
"""

from __future__ import annotations

from typing import Any

import jinja2

from flowhub.engine.errors import TemplateError

from .environment import KestraEnvironment, is_template
from .limits import MAX_OUTPUT_CHARS

__all__ = ["MAX_OUTPUT_CHARS", "check_syntax", "is_template", "is_truthy", "render", "render_value"]

_FALSY = frozenset({"", "false", "0", "-0"})
_ENVIRONMENT = KestraEnvironment()


def check_syntax(source: str) -> str | None:
    """The syntax error of `source` (unknown filters and tests included) as a message, or None."""
    try:
        _ENVIRONMENT.compiled(source)
    except jinja2.TemplateSyntaxError as error:
        return f"invalid expression at line {error.lineno}: {error.message}"
    return None


def render(source: str, context: dict[str, Any], *, cache: bool = True) -> str:
    """`source` rendered with `context`; TemplateError saying why it cannot be. `cache=False` for an expression
    rendered once (a debugged one): it is compiled for this rendering only."""
    if not is_template(source):
        return source
    try:
        return _ENVIRONMENT.render_text(source, context, cache=cache)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(f"invalid expression '{source}' at line {error.lineno}: {error.message}") from error
    except jinja2.UndefinedError as error:
        raise TemplateError(f"unable to render '{source}': {error.message}") from error
    except jinja2.exceptions.SecurityError as error:
        raise TemplateError(f"unable to render '{source}': forbidden ({error})") from error
    except TemplateError as error:
        raise TemplateError(f"unable to render '{source}': {error}") from error
    except Exception as error:  # any error in a user's expression is a render failure, not a crash
        raise TemplateError(f"unable to render '{source}': {type(error).__name__}: {error}") from error


def is_truthy(rendered: Any) -> bool:
    """Kestra's truth of a rendered condition: anything but null or an empty, `false`, `0` or `-0` text."""
    if isinstance(rendered, bool):
        return rendered
    return rendered is not None and str(rendered).strip() not in _FALSY


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """Render every string inside `value`, keeping the shape of lists and maps."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    return value
