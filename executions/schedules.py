"""The scheduler's tick: each Schedule trigger whose next date has come starts its executions, and so does
each backfill (started through the API) whose current date has come.

One execution per scheduled date, however many schedulers tick at once: an execution's idempotency key
names its trigger and date (and its backfill), so the database's uniqueness refuses a second one; the
trigger's row is locked while a tick works on it (other ticks skip it) and moved on by compare-and-set.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from flowhub import exceptions
from flowhub.engine import schedule as dates
from flowhub.engine.conditions import ConditionContext, ConditionError, ExecutionFacts, evaluate
from flowhub.engine.errors import EngineError
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.states import State
from flowhub.engine.tasks.triggers import Schedule
from namespaces.flows import parsed_revision
from namespaces.models import Flow

from .models import BACKFILL_CLEARED, Execution, Trigger
from .trigger_selectors import ENDED_STATES, trigger_locked
from .triggered import trigger_execution_create, trigger_labels

logger = logging.getLogger(__name__)

FIRES_PER_TRIGGER = 10
"""At most this many dates of one trigger per tick, so that a long backfill does not hold the others back."""
ROWS_PER_FIRE = 10
"""A tick looks at most this many due triggers per execution it may start: most of them fire."""
BACKFILL_LABEL = "system.backfill"
"""The label of the executions a backfill starts."""


def schedule_tick(*, now: datetime | None = None) -> int:
    """Fire the due Schedule triggers, at most `FLOWHUB_SCHEDULE_FIRES_PER_TICK` executions in all; how many
    executions it started.

    Triggers waiting for the execution they started come last, so that however many wait, the others fire.
    One trigger that cannot be ticked (a bug, a flow that no longer parses) is logged and left for the next tick.
    """
    now = now or timezone.now()
    budget = settings.FLOWHUB_SCHEDULE_FIRES_PER_TICK
    running = Execution.objects.filter(pk=OuterRef("last_execution_id")).exclude(state__in=ENDED_STATES)
    due = (
        Trigger.objects.filter(_due(now), type=Schedule.TYPE)
        .alias(running=Exists(running))
        .order_by("running", F("next_date").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
    )
    started = 0
    for pk in list(due[: budget * ROWS_PER_FIRE]):
        if started >= budget:
            break
        try:
            started += _trigger_tick(pk, now, min(FIRES_PER_TRIGGER, budget - started))
        except Exception:  # one trigger must not stop the others
            logger.exception("the scheduler could not tick trigger row %s", pk)
    return started


def schedule_key(trigger_id: str, date: datetime) -> str:
    """The idempotency key of the execution a Schedule starts for `date`."""
    return f"schedule:{trigger_id}:{dates.iso_seconds(date)}"


def backfill_key(trigger_id: str, backfill_id: str, date: datetime) -> str:
    """The idempotency key of the execution a backfill starts for `date`: apart from the regular one, so that a
    backfill fires a date the schedule fired already, and a second backfill fires it again."""
    return f"backfill:{trigger_id}:{backfill_id}:{dates.iso_seconds(date)}"


def _due(now: datetime) -> Q:
    """The trigger rows with something to fire: a next date that has come (or is not worked out yet), or a
    backfill running whose current date has come."""
    backfill = Q(backfill_current_date__lte=now, backfill_paused=False, disabled=False)
    return Q(next_date__isnull=True) | Q(next_date__lte=now) | backfill


def _trigger_tick(pk: int, now: datetime, limit: int) -> int:
    with transaction.atomic():
        # A row another tick holds is its to fire: skip it rather than wait (PostgreSQL; SQLite has one writer).
        row = Trigger.objects.select_for_update(skip_locked=True).filter(_due(now), pk=pk).first()
        if row is None:
            return 0  # taken, or moved on since it was listed
        found = _schedule_of(row)
        if found is None:
            return 0
        flow, parsed, schedule = found
        waits = not schedule.allowConcurrent and trigger_locked(row)
        due = row.next_date or dates.first_date(schedule, last_date=row.last_date, now=now)
        plan = _plan(row, parsed, schedule, due, now, limit, waits)
        started = [execution for date in plan.fires if (execution := _fire(flow, parsed, schedule, date)) is not None]
        moved: dict[str, Any] = {"next_date": plan.next_date, "updated_at": timezone.now()}
        if plan.fires:
            moved["last_date"] = plan.fires[-1]
        # Without allowConcurrent, one execution at a time, the regular one first.
        room = limit - len(plan.fires) if schedule.allowConcurrent else int(not waits and not started)
        if (backfill := _backfill_plan(row, parsed, schedule, now, room)) is not None:
            started += [
                execution
                for date in backfill.fires
                if (execution := _fire(flow, parsed, schedule, date, backfill=row)) is not None
            ]
            moved.update({"backfill_current_date": backfill.next_date} if backfill.next_date else BACKFILL_CLEARED)
        if started:
            moved["last_execution_id"] = started[-1].id
        Trigger.objects.filter(_as_read(row)).update(**moved)
    return len(started)


def _as_read(row: Trigger) -> Q:
    """The row as the tick read it: the tick moves it on only if nobody else did meanwhile (compare-and-set)."""
    return (
        Q(pk=row.pk, backfill_id=row.backfill_id)
        & _same("next_date", row.next_date)
        & _same("backfill_current_date", row.backfill_current_date)
    )


def _same(field: str, value: datetime | None) -> Q:
    return Q(**{field: value}) if value is not None else Q(**{f"{field}__isnull": True})


def _schedule_of(row: Trigger) -> tuple[Flow, ParsedFlow, Schedule] | None:
    """The live flow of `row`, its current revision parsed, and the Schedule the row stands for."""
    flow = (
        Flow.objects.select_related("current")
        .filter(namespace_id=row.namespace, flow_id=row.flow_id, deleted=False)
        .first()
    )
    if flow is None or flow.current is None:
        return None  # deleted meanwhile: its rows go with it
    parsed = parsed_revision(flow.current)
    schedule = next((trigger for trigger in parsed.triggers if trigger.id == row.trigger_id), None)
    return (flow, parsed, schedule) if isinstance(schedule, Schedule) else None


def _plan(
    row: Trigger, parsed: ParsedFlow, schedule: Schedule, due: datetime | None, now: datetime, limit: int, waits: bool
) -> dates.Plan:
    if due is None:
        return dates.Plan((), None)  # the expression never matches again
    if _disabled(row, parsed, schedule):
        return dates.Plan((), dates.clock_of(schedule).next_after(now))  # time moves on without it
    if waits:
        return dates.Plan((), due)  # waits for the execution it started; then lateness decides
    lateness = timedelta(seconds=settings.FLOWHUB_SCHEDULE_LATENESS_SECONDS)
    if not schedule.allowConcurrent:
        limit = 1  # the execution it starts holds the next
    return dates.schedule_plan(schedule, due=due, now=now, limit=limit, default_lateness=lateness)


def _backfill_plan(row: Trigger, parsed: ParsedFlow, schedule: Schedule, now: datetime, room: int) -> dates.Plan | None:
    """What the row's backfill fires now, at most `room` dates; None when it has none running, or it waits
    where it stands (paused, or disabled: enabled again, it goes on from there)."""
    if row.backfill_current_date is None or row.backfill_end is None:
        return None
    if row.backfill_paused or _disabled(row, parsed, schedule):
        return None
    return dates.backfill_plan(schedule, current=row.backfill_current_date, end=row.backfill_end, now=now, limit=room)


def _disabled(row: Trigger, parsed: ParsedFlow, schedule: Schedule) -> bool:
    """Whether the trigger may not fire: its row, its YAML or its flow says so."""
    return row.disabled or schedule.disabled or parsed.disabled


def _fire(
    flow: Flow, parsed: ParsedFlow, schedule: Schedule, date: datetime, backfill: Trigger | None = None
) -> Execution | None:
    """Start the execution of `date` (for the row's `backfill`, if given), or the one already started for it;
    None, and a log line, when it cannot start (its inputs are invalid, the flow cannot run): the schedule
    goes on with its next date."""
    variables = dates.trigger_variables(schedule, date)
    where = f"schedule '{schedule.id}' of flow '{flow}' for {variables['date']}"
    if backfill is not None:
        where = "backfill of " + where
    assert flow.current is not None
    context = {
        "flow": {"id": parsed.id, "namespace": parsed.namespace, "revision": flow.current.revision},
        "vars": parsed.variables,
        "trigger": variables,
    }
    if not _conditions_hold(schedule, parsed, context, date, where):
        return None
    try:
        if backfill is None:
            run: dict[str, Any] = {
                "inputs": schedule.inputs,
                "labels": trigger_labels(schedule, context),
                "idempotency_key": schedule_key(schedule.id, date),
            }
        else:  # Kestra's: the backfill's inputs over the trigger's, its labels after the trigger's
            run = {
                "inputs": {**schedule.inputs, **(backfill.backfill_inputs or {})},
                "labels": trigger_labels(schedule, context, extra=backfill.backfill_labels),
                "idempotency_key": backfill_key(schedule.id, backfill.backfill_id, date),
                "system_labels": [(BACKFILL_LABEL, "true")],
            }
        execution = trigger_execution_create(flow=flow, trigger=schedule, variables=variables, context=context, **run)
    except (exceptions.ServiceError, EngineError) as error:
        logger.warning("%s not fired: %s", where, error)
        return None
    logger.info("%s: execution %s", where, execution.id)
    return execution


def _conditions_hold(
    schedule: Schedule, parsed: ParsedFlow, context: dict[str, Any], date: datetime, where: str
) -> bool:
    """Whether the date passes the trigger's `conditions` and `scheduleConditions` (DayWeek, PublicHoliday…):
    a date that does not is skipped, as is one whose conditions cannot be evaluated (said in the log)."""
    conditions = (*schedule.conditions, *schedule.scheduleConditions)
    facts = ExecutionFacts(namespace=parsed.namespace, flow_id=parsed.id, state=State.CREATED)
    try:
        zone = dates.zone_named(schedule.timezone) if schedule.timezone else UTC
        return evaluate(conditions, ConditionContext(parsed.namespace, parsed.id, facts, context, date, zone))
    except ConditionError as error:
        logger.warning("%s not fired: %s", where, error)
        return False
