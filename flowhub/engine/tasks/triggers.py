"""Kestra's core triggers: what starts a flow on a schedule, on a webhook call, or when flows end."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from flowhub.engine.fields import Duration, Strict
from flowhub.engine.preconditions import Preconditions
from flowhub.engine.registry import Condition, PlainCondition, TriggerDefinition
from flowhub.engine.schedule import CronClock, parse_moment, zone_named
from flowhub.engine.states import State

_OLD = "io.kestra.core.models.triggers.types."


class Backfill(Strict):
    """Fire every time from `start` (to `end`) even when missed; a date without an offset is in the
    trigger's time zone."""

    start: str
    end: str | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        """An unquoted YAML date-time arrives as a date-time, not as text."""
        return value.isoformat() if isinstance(value, date) else value

    @field_validator("start", "end")
    @classmethod
    def _is_a_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_moment(value)
            except ValueError:
                raise ValueError(f"'{value}' is not an ISO-8601 date-time such as 2025-01-01T00:00:00Z") from None
        return value

    @model_validator(mode="after")
    def _ends_after_start(self) -> Backfill:
        if self.end is not None and parse_moment(self.end) < parse_moment(self.start):
            raise ValueError("the backfill's end is before its start")
        return self


class Schedule(TriggerDefinition):
    """Start the flow at each time the cron expression matches, in `timezone`."""

    TYPE = "io.kestra.plugin.core.trigger.Schedule"
    ALIASES = (_OLD + "Schedule",)

    withSeconds: bool = False  # before `cron`, which is checked knowing it
    cron: str = Field(examples=["0 9 * * 1-5", "@daily"])
    timezone: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    scheduleConditions: tuple[PlainCondition, ...] = ()
    lateMaximumDelay: Duration | None = None
    recoverMissedSchedules: Literal["ALL", "LAST", "NONE"] | None = None
    backfill: Backfill | None = None
    allowConcurrent: bool = False

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, cron: str, info: ValidationInfo) -> str:
        CronClock(cron, with_seconds=bool(info.data.get("withSeconds")))
        return cron

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, timezone: str | None) -> str | None:
        if timezone is not None:
            zone_named(timezone)
        return timezone


class Webhook(TriggerDefinition):
    """Start the flow when `/executions/webhook/{namespace}/{flowId}/{key}` is called with its key."""

    TYPE = "io.kestra.plugin.core.trigger.Webhook"
    ALIASES = (_OLD + "Webhook",)

    key: str = Field(min_length=1, max_length=256)
    inputs: dict[str, Any] = Field(default_factory=dict)
    wait: bool = False
    returnOutputs: bool = False
    responseCode: int | str | None = Field(
        default=None, description="With wait: the status once it ended (200, or 500 if it failed); an expression too"
    )
    responseContentType: str | None = None


class FlowTrigger(TriggerDefinition):
    """Start the flow when executions of other flows reach one of `states` (by default, any end state)."""

    TYPE = "io.kestra.plugin.core.trigger.Flow"
    ALIASES = (_OLD + "Flow",)

    conditions: tuple[Condition, ...] = ()  # a MultipleCondition too
    inputs: dict[str, Any] = Field(default_factory=dict)
    states: tuple[State, ...] = ()
    preconditions: Preconditions | None = None


TRIGGER_TYPES: tuple[type[TriggerDefinition], ...] = (Schedule, Webhook, FlowTrigger)
