"""Interfaces the engine needs from the outside world; the Django apps implement them."""

from __future__ import annotations

from typing import Any, Protocol


class LogSink(Protocol):
    """Receives the log lines a task emits while it runs."""

    def emit(self, level: str, message: str) -> None: ...


class NamespaceStore(Protocol):
    """What templates may read of a namespace: its KV store, its secrets, its files.

    Each method raises when the thing is missing; the template that asked fails with the reason.
    """

    def kv(self, namespace: str, key: str, *, inherit: bool, error_on_missing: bool) -> Any: ...

    def secret(self, namespace: str, name: str) -> str: ...

    def read(self, namespace: str, path: str) -> str: ...
