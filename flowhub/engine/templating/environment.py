"""The sandboxed Jinja2 environment that runs translated Pebble templates with Kestra's semantics.

Immutable: parsed flows (their `vars`) are cached and shared, so no template may change a list or a
map. A map's attributes are its keys only, never its methods (`outputs.t.values` is the output
named `values`). Every filter, test and function fails with an error that names it, and no result
may pass the size limits.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS as JINJA_TESTS

from flowhub.engine.errors import TemplateError

from . import data, dates, functions, limits, lists, numbers, operators, predicates, strings
from .text import require_defined, to_text
from .translate import to_jinja

# Jinja's filters that Pebble lacks and that cannot build anything large; the others are replaced by
# Pebble's (`replace`, `slice`, `first`…) or left out (`center`, `format`, `pprint`: unbounded or
# revealing).
_JINJA_FILTERS = (
    "attr",
    "count",
    "dictsort",
    "float",
    "groupby",
    "int",
    "items",
    "list",
    "map",
    "reject",
    "rejectattr",
    "round",
    "select",
    "selectattr",
    "sum",
    "truncate",
    "unique",
    "wordcount",
)
_KESTRA_FILTERS = {**strings.FILTERS, **lists.FILTERS, **numbers.FILTERS, **dates.FILTERS, **data.FILTERS}


class _HelperCalls(CodeGenerator):
    """Compiles a call of an operator helper (operators.HELPERS) to a direct call of it, each argument
    of a lazy helper wrapped in a `lambda` so that the helper evaluates it, or not, itself."""

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        helper = node.node.name if isinstance(node.node, nodes.Name) else None
        if helper not in operators.HELPERS:
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.write(f"environment.helpers[{helper!r}](")
        for index, argument in enumerate(node.args):
            self.write(", " if index else "")
            self.write("(lambda: " if helper in operators.LAZY_HELPERS else "(")
            self.visit(argument, frame)
            self.write(")")
        self.write(")")


def _named(kind: str, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as templates call it: an undefined argument fails as undefined, any other failure
    names the filter, test or function, and a result may not pass the size limits."""
    signature = inspect.signature(function)
    label = f"'{name}' {kind}"

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TemplateError(f"{label}: {error}") from None
        for value in (*args, *kwargs.values()):
            require_defined(value)
        try:
            result = function(*args, **kwargs)
        except jinja2.TemplateError:
            raise
        except Exception as error:
            raise TemplateError(f"{label}: {error}") from error
        _check_size(result, label)
        return result

    return call


def _check_size(result: Any, label: str) -> None:
    if isinstance(result, str):
        limits.check_chars(len(result), f"the result of {label}")
    elif isinstance(result, (Mapping, list, tuple)):
        limits.check_items(len(result), f"the result of {label}")


class KestraEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _HelperCalls
    intercepted_binops = operators.ARITHMETIC

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=to_text,
        )
        self.helpers = operators.HELPERS
        self.filters = {
            name: _named("filter", name, function)
            for name, function in {
                **{name: JINJA_FILTERS[name] for name in _JINJA_FILTERS},
                **_KESTRA_FILTERS,
            }.items()
        }
        self.tests = {
            **JINJA_TESTS,
            **{name: _named("test", name, function) for name, function in predicates.TESTS.items()},
        }
        all_functions = {
            **functions.FUNCTIONS,
            **functions.rendering_functions(self.render_text, is_template),
            **dates.FUNCTIONS,
            **data.FUNCTIONS,
        }
        self.globals = {name: _named("function", name, function) for name, function in all_functions.items()}
        self.compiled: Callable[[str], jinja2.Template] = lru_cache(maxsize=2048)(self._translated)

    def _translated(self, source: str) -> jinja2.Template:
        try:
            return self.from_string(to_jinja(source, self.filters.keys(), self.tests.keys()))
        except RecursionError:
            raise jinja2.TemplateSyntaxError("the expression is nested too deeply", 1) from None

    def render_text(self, source: str, variables: dict[str, Any], *, cache: bool = True) -> str:
        """`source` rendered with `variables`, within the limits of limits.py; compiled once and kept unless
        `cache` is false (a one-off expression would only push a flow's templates out of the cache)."""
        template = self.compiled(source) if cache else self._translated(source)
        with limits.rendering():
            return limits.bounded_join(template.generate(variables), f"rendered value of '{source[:80]}'")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return operators.arithmetic(operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            return self._entry(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping):
            return self._entry(obj, argument)
        return super().getitem(obj, argument)

    def _entry(self, mapping: Mapping[Any, Any], key: Any) -> Any:
        try:
            return mapping[key]
        except (KeyError, TypeError):
            return self.undefined(obj=mapping, name=key)


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text
