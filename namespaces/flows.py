"""The engine's view of stored flows: parsing a revision's YAML once per process."""

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
    return parse_flow(source, task_registry())


@lru_cache(maxsize=1024)
def _parse_stored(revision_pk: int, source: str) -> ParsedFlow:
    return parse_source(source)


def parsed_revision(revision: FlowRevision) -> ParsedFlow:
    """The parsed flow of a stored revision. Revisions never change, so the parse is cached."""
    return _parse_stored(revision.pk, revision.source)
