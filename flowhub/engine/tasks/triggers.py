"""Kestra's core triggers: what starts a flow on a schedule, on a webhook call, or when flows end."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import Field, ValidationInfo, field_validator

from flowhub.engine.fields import Duration, Strict
from flowhub.engine.preconditions import Preconditions
from flowhub.engine.registry import Condition, TriggerDefinition
from flowhub.engine.states import State

_OLD = "io.kestra.core.models.triggers.types."
CRON_NICKNAMES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})


class Backfill(Strict):
    start: str
    end: str | None = None


class Schedule(TriggerDefinition):
    """Start the flow at each time the cron expression matches, in `timezone`."""

    TYPE = "io.kestra.plugin.core.trigger.Schedule"
    ALIASES = (_OLD + "Schedule",)

    withSeconds: bool = False  # before `cron`, which is checked knowing it
    cron: str = Field(examples=["0 9 * * 1-5", "@daily"])
    timezone: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    scheduleConditions: tuple[Condition, ...] = ()
    lateMaximumDelay: Duration | None = None
    recoverMissedSchedules: Literal["ALL", "LAST", "NONE"] | None = None
    backfill: Backfill | None = None
    allowConcurrent: bool = False

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, cron: str, info: ValidationInfo) -> str:
        with_seconds = bool(info.data.get("withSeconds"))
        fields = 6 if with_seconds else 5
        expression = cron.strip()
        if expression.lower() in CRON_NICKNAMES:
            return cron
        if len(expression.split()) != fields or not croniter.is_valid(expression, second_at_beginning=with_seconds):
            seconds = " (seconds first, as withSeconds is true)" if with_seconds else ""
            raise ValueError(f"invalid cron expression '{cron}': expected {fields} fields{seconds} or a @nickname")
        return cron

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, timezone: str | None) -> str | None:
        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone '{timezone}'") from None
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

    inputs: dict[str, Any] = Field(default_factory=dict)
    states: tuple[State, ...] = ()
    preconditions: Preconditions | None = None


TRIGGER_TYPES: tuple[type[TriggerDefinition], ...] = (Schedule, Webhook, FlowTrigger)
