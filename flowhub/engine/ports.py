"""Interfaces the engine needs from the outside world; the Django apps implement them."""

from __future__ import annotations

from typing import Protocol


class LogSink(Protocol):
    """Receives the log lines a task emits while it runs."""

    def emit(self, level: str, message: str) -> None: ...
