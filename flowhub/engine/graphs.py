"""Dependency graphs given as `{node: [nodes it depends on]}`: inputs' `dependsOn`, a Dag's tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def cycles(edges: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Each node on a cycle, with that cycle's nodes starting from it; edges to unknown nodes are ignored."""
    found: dict[str, list[str]] = {}
    for start in edges:
        # Depth-first from the node's dependencies, looking for a way back to it.
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        seen: set[str] = set()
        while stack and start not in found:
            current, path = stack.pop()
            for dependency in reversed(edges[current]):
                if dependency == start:
                    found[start] = path
                    break
                if dependency in edges and dependency not in seen:
                    seen.add(dependency)
                    stack.append((dependency, [*path, dependency]))
    return found
