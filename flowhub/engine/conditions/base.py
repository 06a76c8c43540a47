"""What every trigger condition is built on: what it looks at, how it fails, how it renders its expressions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

from flowhub.engine import templating
from flowhub.engine.errors import EngineError
from flowhub.engine.states import State

T = TypeVar("T")
CORE = "io.kestra.plugin.core.condition."
OLD = "io.kestra.core.models.conditions.types."


def _not_empty(items: Sized) -> Sized:
    # After its items validated: `Field(min_length=1)` would also count the invalid ones out and report it.
    if not len(items):
        raise ValueError("must have at least 1 item(s)")
    return items


NonEmpty = Annotated[T, AfterValidator(_not_empty)]
"""A tuple (or a map) that must hold at least one item."""


class ConditionError(EngineError):
    """A condition could not be evaluated: a bad expression, date or country."""


@dataclass(frozen=True)
class ExecutionFacts:
    """What conditions see of an execution."""

    namespace: str
    flow_id: str
    state: str
    labels: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    attempts: Callable[[], tuple[tuple[State, ...], ...]] = lambda: ()
    """The states its attempts ended in, for each of its task runs; asked only when a condition needs them."""


@dataclass(frozen=True)
class ConditionContext:
    flow_namespace: str
    """The flow whose trigger the conditions belong to."""
    flow_id: str
    execution: ExecutionFacts
    variables: dict[str, Any]
    """What expressions see: `trigger`, `flow`, `labels`, the template functions…"""
    now: datetime
    zone: tzinfo = UTC
    """Where the trigger's date (or now) is read, to tell its day: a Schedule's `timezone`."""


class ConditionDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    ALIASES: ClassVar[tuple[str, ...]] = ()

    type: str

    @field_validator("*", mode="after")
    @classmethod
    def _expressions_parse(cls, value: Any) -> Any:
        """A template syntax error is a save-time error, not a surprise when the trigger fires."""
        if isinstance(value, str) and (problem := templating.check_syntax(value)):
            raise ValueError(problem)
        return value

    def holds(self, context: ConditionContext) -> bool:
        raise NotImplementedError


def names(name: str, old: str | None = None) -> tuple[str, tuple[str, ...]]:
    """A condition's full type name and its aliases: `…condition.XCondition` and the old core name."""
    return CORE + name, (CORE + name + "Condition", OLD + (old or name + "Condition"))


def label_pairs(labels: Mapping[str, Any] | list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Kestra's labels as written, a map or a `[{key, value}]` list, as (key, text) pairs."""
    if isinstance(labels, Mapping):
        return [(str(key), _text(value)) for key, value in labels.items()]
    return [(str(item.get("key")), _text(item.get("value"))) for item in labels]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def render(source: str, variables: dict[str, Any]) -> str:
    try:
        return templating.render(source, variables)
    except EngineError as error:
        raise ConditionError(str(error)) from None


def bound(text: str | None, context: ConditionContext, read: Callable[[str], T]) -> T | None:
    return None if text is None else rendered_as(text, context, read)


def rendered_as(text: str, context: ConditionContext, read: Callable[[str], T]) -> T:
    rendered = render(text, context.variables).strip()
    try:
        return read(rendered)
    except ValueError as error:
        raise ConditionError(f"'{rendered}': {error}") from None
