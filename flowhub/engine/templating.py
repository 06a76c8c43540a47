"""Kestra-style `{{ … }}` expressions, rendered by Jinja2's sandbox.

Kestra's Pebble is strict (an undefined variable is an error), writes maps and lists as JSON and
booleans as `true`/`false`; this environment does the same. A template can reach only the
context it is given: the sandbox blocks attribute access to Python internals.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import TemplateError

MAX_OUTPUT_CHARS = 1024 * 1024
_FALSY = frozenset({"", "false", "0", "-0"})


def _to_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return value


# Immutable: parsed flows (their `vars`) are cached and shared, so no template may change a list or map.
_ENVIRONMENT = ImmutableSandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    finalize=_to_text,
)


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


@lru_cache(maxsize=2048)
def _compile(source: str) -> jinja2.Template:
    return _ENVIRONMENT.from_string(source)


def check_syntax(source: str) -> str | None:
    """The syntax error of `source` as a message, or None when it parses."""
    try:
        _compile(source)
    except jinja2.TemplateSyntaxError as exc:
        return f"invalid expression at line {exc.lineno}: {exc.message}"
    return None


def render(source: str, context: dict[str, Any]) -> str:
    if not is_template(source):
        return source
    try:
        text = _compile(source).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"invalid expression '{source}': {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"unable to render '{source}': {exc.message}") from exc
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"unable to render '{source}': forbidden ({exc})") from exc
    except Exception as exc:  # any error in user expressions is a render failure, not a crash
        raise TemplateError(f"unable to render '{source}': {type(exc).__name__}: {exc}") from exc
    if len(text) > MAX_OUTPUT_CHARS:
        raise TemplateError(f"rendered value of '{source[:80]}' exceeds {MAX_OUTPUT_CHARS} characters")
    return text


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
