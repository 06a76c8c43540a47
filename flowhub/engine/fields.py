"""Property types that tasks, triggers and flows share: durations, log levels, worker groups, retries."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field

from . import templating
from .inputs.temporal import to_duration


def _duration_or_template(value: str) -> str:
    """A duration is checked now unless it is an expression, which only a run can evaluate."""
    if not templating.is_template(value):
        to_duration(value)
    return value


Duration = Annotated[str, AfterValidator(_duration_or_template)]
"""An ISO-8601 duration such as `PT30S`, or an expression that renders to one."""


class LogLevel(StrEnum):
    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkerGroup(Strict):
    """Kestra Enterprise's worker groups: accepted so flows load, but flowhub has one group."""

    key: str
    fallback: Literal["FAIL", "WAIT", "CANCEL"] | None = None


class RetryBehavior(StrEnum):
    RETRY_FAILED_TASK = "RETRY_FAILED_TASK"
    CREATE_NEW_EXECUTION = "CREATE_NEW_EXECUTION"


class _Retry(Strict):
    # Kestra's code calls it `maxAttempt`, its current docs `maxAttempts`: both count the first attempt.
    maxAttempt: int | None = Field(default=None, ge=1, validation_alias=AliasChoices("maxAttempt", "maxAttempts"))
    maxDuration: Duration | None = None
    warningOnRetry: bool = False
    behavior: RetryBehavior = RetryBehavior.RETRY_FAILED_TASK


class ConstantRetry(_Retry):
    type: Literal["constant"]
    interval: Duration


class ExponentialRetry(_Retry):
    type: Literal["exponential"]
    interval: Duration
    maxInterval: Duration
    delayFactor: float | None = Field(default=None, gt=1)


class RandomRetry(_Retry):
    type: Literal["random"]
    minInterval: Duration
    maxInterval: Duration


Retry = Annotated[ConstantRetry | ExponentialRetry | RandomRetry, Field(discriminator="type")]
"""How often and how soon a failed task (or flow) is tried again."""


class NamespaceFiles(Strict):
    """Which of the namespace's files a task gets in its working directory."""

    enabled: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
