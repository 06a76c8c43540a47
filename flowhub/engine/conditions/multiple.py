"""Kestra's MultipleCondition: the older form of a Flow trigger's `preconditions`, which flowhub evaluates the
same way (see preconditions.py and flow_triggers.py): one execution for each of its `conditions` within a
window, the one that just ended and earlier ones that the apps look up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from flowhub.engine.states import State
from flowhub.engine.windows import IsoDuration, TimeWindow, WindowLength

from .base import CORE, OLD, ConditionContext, ConditionDefinition, NonEmpty
from .executions import ExecutionFlow

if TYPE_CHECKING:
    from . import PlainCondition


class MultipleCondition(ConditionDefinition):
    """Each of `conditions` (by an id of the user's) must hold for an execution of another flow that ended
    within the window: `timeWindow` (a day from UTC midnight by default), whose `window` and `windowAdvance`
    may also be given here, as Kestra's older flows do. The execution that ended counts when one of them
    holds for it (`holds`); the apps then look for the others (`still_awaited`)."""

    TYPE, ALIASES = CORE + "MultipleCondition", (OLD + "MultipleCondition",)
    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
    conditions: NonEmpty[dict[str, PlainCondition]]
    timeWindow: TimeWindow = TimeWindow()
    window: WindowLength | None = None
    windowAdvance: IsoDuration | None = None
    resetOnSuccess: bool = True

    def holds(self, context: ConditionContext) -> bool:
        """Whether the execution that ended counts: one of the conditions holds for it, in an open window."""
        if self.bounds(context.now) is None:
            return False
        return any(awaited.satisfied_by(context) for awaited in self._awaited())

    def bounds(self, now: datetime) -> tuple[datetime, datetime] | None:
        given: dict[str, Any] = {"window": self.window, "windowAdvance": self.windowAdvance}
        window = self.timeWindow.model_copy(update={key: value for key, value in given.items() if value is not None})
        return window.bounds(now)

    def still_awaited(self, context: ConditionContext) -> tuple[AwaitedCondition, ...]:
        """The conditions that do not hold for the execution that ended: each needs an execution of its own."""
        return tuple(awaited for awaited in self._awaited() if not awaited.satisfied_by(context))

    def _awaited(self) -> tuple[AwaitedCondition, ...]:
        return tuple(AwaitedCondition(key, condition) for key, condition in self.conditions.items())


@dataclass(frozen=True)
class AwaitedCondition:
    """One of a MultipleCondition's conditions, which an execution of another flow must satisfy. An
    ExecutionFlow says where that execution is; any other condition, only that it is somewhere."""

    key: str
    condition: ConditionDefinition

    @property
    def states(self) -> tuple[State, ...] | None:
        """None: the states the trigger listens to are the only ones it asks for."""
        return None

    @property
    def namespace(self) -> str | None:
        return self.condition.namespace if isinstance(self.condition, ExecutionFlow) else None

    @property
    def flowId(self) -> str | None:
        return self.condition.flowId if isinstance(self.condition, ExecutionFlow) else None

    def satisfied_by(self, context: ConditionContext) -> bool:
        return self.condition.holds(context)
