"""Namespace names: Kestra's rules for them, and the dot hierarchy they form."""

from __future__ import annotations

import re

NAMESPACE_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
NAMESPACE_MAX = 150


def validate_namespace(namespace: str) -> str | None:
    """Why `namespace` is not a valid namespace name, or None."""
    if not namespace or len(namespace) > NAMESPACE_MAX:
        return f"must be 1 to {NAMESPACE_MAX} characters"
    if not NAMESPACE_PATTERN.fullmatch(namespace):
        return "must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
    if ".." in namespace or namespace.endswith("."):
        return "must not contain empty segments ('..' or a trailing '.')"
    return None


def namespace_lineage(namespace: str) -> list[str]:
    """`namespace` and its parents, nearest first: `a.b.c` gives `a.b.c`, `a.b`, `a`."""
    parts = namespace.split(".")
    return [".".join(parts[:depth]) for depth in range(len(parts), 0, -1)]
