"""Errors services raise for the API to turn into problem details; they know nothing of HTTP."""

from __future__ import annotations

from flowhub.engine.errors import ErrorDetail


class ServiceError(Exception):
    def __init__(self, detail: str, errors: list[ErrorDetail] | None = None):
        self.detail = detail
        self.errors = errors or []
        super().__init__(detail)


class NotFound(ServiceError):
    """The object does not exist (or the caller may not know that it does)."""


class Conflict(ServiceError):
    """The request clashes with the current state: an existing id, a disabled flow."""


class Invalid(ServiceError):
    """The entity or its inputs are invalid; `errors` names each field."""


class Gone(ServiceError):
    """The object existed but is no more: an expired KV entry."""


class TooLarge(ServiceError):
    """A value is larger than its configured limit."""


class Forbidden(ServiceError):
    """The caller sees the object but their role does not allow this action on it."""
