"""The engine's view of stored flows: each source parsed once per process and task registry."""

from __future__ import annotations

from functools import cache, lru_cache

from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.parser import parse_flow
from flowhub.engine.registry import Registry, default_registry

from .models import FlowRevision


@cache
def task_registry() -> Registry:
    return default_registry()


def parse_source(source: str) -> ParsedFlow:
    """The parsed flow of `source`. Cached: saving a flow and then showing it parses it once."""
    return _parse(task_registry(), source)


@lru_cache(maxsize=1024)
def _parse(registry: Registry, source: str) -> ParsedFlow:
    # Keyed by the registry too: another set of task types may read the same source differently.
    return parse_flow(source, registry)


def parsed_revision(revision: FlowRevision) -> ParsedFlow:
    return parse_source(revision.source)
