"""Errors the engine raises; the API layer maps each one to a problem-details response."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorDetail:
    """One problem at one place: `path` is dotted/indexed (`tasks[2].uri`), line/column are 1-based."""

    path: str
    detail: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line else ""
        return f"{self.path}: {self.detail}{where}"


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class InvalidFlowError(EngineError):
    """The flow source is not a valid flow; `errors` says where and why."""

    def __init__(self, errors: list[ErrorDetail]):
        self.errors = errors
        super().__init__("; ".join(map(str, errors)))


class InvalidInputsError(EngineError):
    """Execution inputs that do not satisfy the flow's input declarations."""

    def __init__(self, errors: list[ErrorDetail]):
        self.errors = errors
        super().__init__("; ".join(map(str, errors)))


class FlowTooLargeError(EngineError):
    """The flow source exceeds a size limit (maps to 413)."""


class TemplateError(EngineError):
    """A template failed to render: undefined variable, sandbox violation, limit exceeded."""


class TaskFailure(EngineError):
    """A task ended its run as failed on purpose, with the user's message (the Fail task)."""


class IllegalTransitionError(EngineError):
    """A state change the state machine forbids. Always a bug in the caller, never user input."""
