"""Bounds on what one rendering may cost, so that no template eats a worker's memory or time.

Sizes are checked before anything large is built (a string, a list, a range), time at every loop
iteration and every `render()` pass. The budget of a rendering is shared by the renderings nested in
it through `render()`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flowhub.engine.errors import TemplateError

MAX_OUTPUT_CHARS = 1024 * 1024
MAX_ITEMS = 1_000_000
RENDER_SECONDS = 10.0
MAX_RENDER_DEPTH = 10
REGEX_SECONDS = 1.0


@dataclass
class _Budget:
    deadline: float
    depth: int = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("flowhub_render_budget", default=None)


@contextmanager
def rendering() -> Iterator[None]:
    """The scope of one rendering: the outermost starts the clock, nested ones count their depth."""
    budget = _BUDGET.get()
    if budget is None:
        token = _BUDGET.set(_Budget(deadline=time.monotonic() + RENDER_SECONDS))
        try:
            yield
        finally:
            _BUDGET.reset(token)
        return
    if budget.depth >= MAX_RENDER_DEPTH:
        raise TemplateError(f"render() is nested more than {MAX_RENDER_DEPTH} levels deep")
    budget.depth += 1
    try:
        yield
    finally:
        budget.depth -= 1


def check_time() -> None:
    budget = _BUDGET.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise TemplateError(f"rendering takes longer than {RENDER_SECONDS:g} seconds")


def check_chars(size: int, what: str) -> None:
    if size > MAX_OUTPUT_CHARS:
        raise TemplateError(f"{what} exceeds {MAX_OUTPUT_CHARS} characters")


def check_items(count: int, what: str) -> None:
    if count > MAX_ITEMS:
        raise TemplateError(f"{what} exceeds {MAX_ITEMS} items")


def bounded_join(chunks: Iterable[str], what: str) -> str:
    """The chunks joined, failing as soon as they pass MAX_OUTPUT_CHARS rather than at the end."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        check_chars(size, what)
        parts.append(chunk)
    return "".join(parts)
