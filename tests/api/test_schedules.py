"""The scheduler tick, called with a chosen "now": what fires, when, with what, and exactly once."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from django.db import connection

from executions.models import Execution, Trigger
from executions.schedules import schedule_tick
from flowhub.logfilters import RoutineTaskFilter
from namespaces.models import FlowRevision
from namespaces.services import flow_create

from .drive import run_to_end
from .helpers import YAML

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def save_flow(api, source: str, *, update: bool = False) -> None:
    if update:
        response = api.put("/api/v1/flows/acme/nightly", source, content_type=YAML)
    else:
        response = api.post("/api/v1/flows", source, content_type=YAML)
    assert response.status_code == 200, response.content


def scheduled(trigger: str, *, tasks: str = "", inputs: str = "", extra: str = "") -> str:
    """A flow `acme.nightly` that returns the date it was scheduled for, with the given Schedule trigger."""
    tasks = tasks or ('  - id: seen\n    type: io.kestra.plugin.core.debug.Return\n    format: "{{ trigger.date }}"\n')
    return (
        f"id: nightly\nnamespace: acme\n{extra}{inputs}tasks:\n{tasks}triggers:\n"
        f"  - id: every\n    type: io.kestra.plugin.core.trigger.Schedule\n{trigger}"
    )


def fired_dates() -> list[str]:
    executions = Execution.objects.filter(flow_id="nightly").order_by("created_at", "id")
    return [execution.trigger["variables"]["date"] for execution in executions]


def row(trigger_id: str = "every") -> Trigger:
    return Trigger.objects.get(namespace="acme", flow_id="nightly", trigger_id=trigger_id)


def test_a_due_schedule_starts_an_execution_that_sees_its_date_inputs_and_labels(api):
    inputs = "inputs:\n  - id: day\n    type: STRING\n"
    trigger = (
        "    cron: '*/5 * * * *'\n    inputs:\n      day: \"{{ trigger.date | date('yyyy-MM-dd') }}\"\n"
        "    labels:\n      team: data\n"
    )
    save_flow(api, scheduled(trigger, inputs=inputs, extra="labels:\n  owner: ops\n"))
    assert schedule_tick(now=at("2026-01-01T10:01:30")) == 0  # the first tick learns the next date
    assert row().next_date == at("2026-01-01T10:05:00")
    assert schedule_tick(now=at("2026-01-01T10:04:59")) == 0

    assert schedule_tick(now=at("2026-01-01T10:05:00.300")) == 1
    execution = Execution.objects.get()
    assert execution.trigger == {
        "id": "every",
        "type": "io.kestra.plugin.core.trigger.Schedule",
        "variables": {
            "date": "2026-01-01T10:05:00Z",
            "next": "2026-01-01T10:10:00Z",
            "previous": "2026-01-01T10:00:00Z",
        },
    }
    assert execution.inputs == {"day": "2026-01-01"}
    labels = {label["key"]: label["value"] for label in execution.labels}
    assert labels == {"owner": "ops", "team": "data", "system.from": "trigger", "system.correlationId": execution.id}
    assert execution.idempotency_key == "schedule:every:2026-01-01T10:05:00Z"
    assert run_to_end(execution.id).task_runs.get().outputs == {"value": "2026-01-01T10:05:00Z"}
    fired = row()
    assert (fired.last_date, fired.next_date, fired.last_execution_id) == (
        at("2026-01-01T10:05:00"),
        at("2026-01-01T10:10:00"),
        execution.id,
    )


def test_the_same_date_ticked_twice_or_by_a_stale_scheduler_starts_one_execution(api):
    save_flow(api, scheduled("    cron: '* * * * *'\n    allowConcurrent: true\n"))
    schedule_tick(now=at("2026-01-01T10:00:30"))
    assert schedule_tick(now=at("2026-01-01T10:01:00.1")) == 1
    assert schedule_tick(now=at("2026-01-01T10:01:00.2")) == 0
    # A second scheduler that read the row before the first moved it on fires the same date again:
    # the idempotency key answers the execution already started, and the compare-and-set moves the row once.
    Trigger.objects.filter(pk=row().pk).update(next_date=at("2026-01-01T10:01:00"))
    schedule_tick(now=at("2026-01-01T10:01:00.3"))
    assert fired_dates() == ["2026-01-01T10:01:00Z"]
    assert row().next_date == at("2026-01-01T10:02:00")


def test_times_missed_while_the_scheduler_was_down_are_skipped(api):
    save_flow(api, scheduled("    cron: '0 * * * *'\n"))
    schedule_tick(now=at("2026-01-01T07:59:00"))
    assert schedule_tick(now=at("2026-01-01T11:00:20")) == 1  # 08:00, 09:00 and 10:00 were missed
    assert fired_dates() == ["2026-01-01T11:00:00Z"]
    assert row().next_date == at("2026-01-01T12:00:00")


def test_a_backfill_fires_each_missed_time_in_order_then_keeps_time(api):
    trigger = "    cron: '0 * * * *'\n    allowConcurrent: true\n    backfill:\n      start: 2026-01-01T05:00:00Z\n"
    save_flow(api, scheduled(trigger))
    assert schedule_tick(now=at("2026-01-01T08:30:00")) == 4
    assert fired_dates() == [f"2026-01-01T0{hour}:00:00Z" for hour in (5, 6, 7, 8)]
    assert row().next_date == at("2026-01-01T09:00:00")
    for execution in Execution.objects.all():
        assert run_to_end(execution.id).outputs == {}
        assert execution.task_runs.get().outputs == {"value": execution.trigger["variables"]["date"]}


def test_a_tick_fires_at_most_its_budget_and_the_next_tick_goes_on(api, settings):
    settings.FLOWHUB_SCHEDULE_FIRES_PER_TICK = 3
    trigger = "    cron: '0 * * * *'\n    allowConcurrent: true\n    backfill:\n      start: 2026-01-01T00:00:00Z\n"
    save_flow(api, scheduled(trigger))
    assert [schedule_tick(now=at("2026-01-01T06:30:00")) for _ in range(3)] == [3, 3, 1]
    assert fired_dates() == [f"2026-01-01T0{hour}:00:00Z" for hour in range(7)]


def test_a_schedule_waits_for_the_execution_it_started_unless_allow_concurrent(api):
    trigger = "    cron: '0 * * * *'\n    backfill:\n      start: 2026-01-01T05:00:00Z\n"
    save_flow(api, scheduled(trigger))
    assert schedule_tick(now=at("2026-01-01T06:30:00")) == 1
    assert schedule_tick(now=at("2026-01-01T06:30:01")) == 0  # 05:00 still runs
    run_to_end(Execution.objects.get().id)
    assert schedule_tick(now=at("2026-01-01T06:30:02")) == 1
    assert fired_dates() == ["2026-01-01T05:00:00Z", "2026-01-01T06:00:00Z"]


def test_stop_after_disables_the_trigger_once_its_execution_ends_in_that_state(api):
    tasks = "  - id: boom\n    type: io.kestra.plugin.core.execution.Fail\n"
    save_flow(api, scheduled("    cron: '0 * * * *'\n    stopAfter: [FAILED]\n", tasks=tasks))
    schedule_tick(now=at("2026-01-01T07:59:00"))
    schedule_tick(now=at("2026-01-01T08:00:01"))
    assert run_to_end(Execution.objects.get().id).state == "FAILED"
    assert row().disabled
    assert schedule_tick(now=at("2026-01-01T09:00:01")) == 0
    assert row().next_date == at("2026-01-01T10:00:00")  # it does not fire, but its time moves on


def test_stop_after_leaves_the_trigger_alone_for_other_end_states(api):
    save_flow(api, scheduled("    cron: '0 * * * *'\n    stopAfter: [FAILED]\n"))
    schedule_tick(now=at("2026-01-01T07:59:00"))
    schedule_tick(now=at("2026-01-01T08:00:01"))
    assert run_to_end(Execution.objects.get().id).state == "SUCCESS"
    assert not row().disabled


@pytest.mark.parametrize(
    ("trigger", "extra"),
    [("    cron: '0 * * * *'\n    disabled: true\n", ""), ("    cron: '0 * * * *'\n", "disabled: true\n")],
    ids=["trigger disabled in its YAML", "flow disabled"],
)
def test_a_disabled_trigger_or_flow_never_fires_but_its_next_date_moves_on(api, trigger, extra):
    save_flow(api, scheduled(trigger, extra=extra))
    schedule_tick(now=at("2026-01-01T07:59:00"))
    assert schedule_tick(now=at("2026-01-01T08:00:01")) == 0
    assert schedule_tick(now=at("2026-01-01T10:30:00")) == 0
    assert not Execution.objects.exists()
    assert row().next_date == at("2026-01-01T11:00:00")


def test_a_trigger_enabled_again_fires_from_its_next_date_not_the_missed_ones(api):
    save_flow(api, scheduled("    cron: '0 * * * *'\n    recoverMissedSchedules: ALL\n"))
    schedule_tick(now=at("2026-01-01T07:59:00"))
    Trigger.objects.filter(pk=row().pk).update(disabled=True)
    schedule_tick(now=at("2026-01-01T08:00:01"))
    schedule_tick(now=at("2026-01-01T10:00:01"))
    Trigger.objects.filter(pk=row().pk).update(disabled=False)
    assert schedule_tick(now=at("2026-01-01T11:00:02")) == 1
    assert fired_dates() == ["2026-01-01T11:00:00Z"]


def test_a_fire_with_invalid_inputs_is_logged_and_the_schedule_goes_on(api, caplog):
    inputs = "inputs:\n  - id: count\n    type: INT\n"
    source = scheduled("    cron: '0 * * * *'\n    inputs:\n      count: many\n", inputs=inputs) + (
        "  - id: valid\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 * * * *'\n"
        "    inputs:\n      count: 3\n"
    )
    save_flow(api, source)
    schedule_tick(now=at("2026-01-01T07:59:00"))
    with caplog.at_level(logging.WARNING, logger="executions.schedules"):
        assert schedule_tick(now=at("2026-01-01T08:00:01")) == 1
    assert "schedule 'every' of flow 'acme.nightly' for 2026-01-01T08:00:00Z not fired" in caplog.text
    assert "count" in caplog.text
    assert [execution.trigger["id"] for execution in Execution.objects.all()] == ["valid"]
    assert (row().next_date, row().last_date) == (at("2026-01-01T09:00:00"), at("2026-01-01T08:00:00"))
    assert row("valid").next_date == at("2026-01-01T09:00:00")


def test_a_schedule_fires_only_the_dates_its_conditions_accept(api, caplog):
    trigger = (
        "    cron: '0 11 * * 1'\n    conditions:\n      - type: io.kestra.plugin.core.condition.DayWeekInMonth\n"
        "        dayOfWeek: MONDAY\n        dayInMonth: FIRST\n"
    )
    save_flow(api, scheduled(trigger))
    schedule_tick(now=at("2026-01-04T00:00:00"))
    assert schedule_tick(now=at("2026-01-05T11:00:01")) == 1  # the first Monday of January
    run_to_end(Execution.objects.get().id)
    assert schedule_tick(now=at("2026-01-12T11:00:01")) == 0  # the second is not
    assert fired_dates() == ["2026-01-05T11:00:00Z"]
    assert row().next_date == at("2026-01-19T11:00:00")


def test_a_schedule_skips_the_public_holidays_its_conditions_exclude(api):
    trigger = (
        "    cron: '0 11 * * *'\n    conditions:\n      - type: io.kestra.plugin.core.condition.Not\n"
        "        conditions:\n          - type: io.kestra.plugin.core.condition.PublicHoliday\n"
        "            country: FR\n"
    )
    save_flow(api, scheduled(trigger))
    schedule_tick(now=at("2026-07-13T00:00:00"))
    assert schedule_tick(now=at("2026-07-13T11:00:01")) == 1
    run_to_end(Execution.objects.get().id)
    assert schedule_tick(now=at("2026-07-14T11:00:01")) == 0  # Bastille Day
    assert fired_dates() == ["2026-07-13T11:00:00Z"]
    assert row().next_date == at("2026-07-15T11:00:00")


def test_a_schedule_s_date_conditions_tell_the_day_in_its_time_zone(api):
    """00:30 in Paris is 23:30 UTC the day before: Saturday 00:30 is the weekend there, Monday 00:30 is not."""
    trigger = (
        "    cron: '30 0 * * *'\n    timezone: Europe/Paris\n"
        "    conditions:\n      - type: io.kestra.plugin.core.condition.Weekend\n"
    )
    save_flow(api, scheduled(trigger))
    schedule_tick(now=at("2026-01-02T20:00:00"))
    assert schedule_tick(now=at("2026-01-02T23:30:01")) == 1  # Saturday 3 January, 00:30 in Paris
    run_to_end(Execution.objects.get().id)
    schedule_tick(now=at("2026-01-03T23:30:01"))  # Sunday
    run_to_end(Execution.objects.order_by("-created_at").first().id)
    assert schedule_tick(now=at("2026-01-04T23:30:01")) == 0  # Monday 5 January in Paris, Sunday in UTC
    assert fired_dates() == ["2026-01-02T23:30:00Z", "2026-01-03T23:30:00Z"]


def test_a_schedule_whose_conditions_cannot_be_evaluated_does_not_fire_and_says_why(api, caplog):
    trigger = (
        "    cron: '0 11 * * *'\n    conditions:\n      - type: io.kestra.plugin.core.condition.Expression\n"
        '        expression: "{{ trigger.nowhere.deeper }}"\n'
    )
    save_flow(api, scheduled(trigger))
    schedule_tick(now=at("2026-01-04T00:00:00"))
    with caplog.at_level(logging.WARNING, logger="executions.schedules"):
        assert schedule_tick(now=at("2026-01-04T11:00:01")) == 0
    assert "schedule 'every' of flow 'acme.nightly' for 2026-01-04T11:00:00Z not fired: conditions[0]" in caplog.text
    assert row().next_date == at("2026-01-05T11:00:00")


def test_a_new_revision_computes_the_next_date_again_from_the_last_fired_one(api):
    save_flow(api, scheduled("    cron: '0 * * * *'\n"))
    schedule_tick(now=at("2026-01-01T07:59:00"))
    schedule_tick(now=at("2026-01-01T08:00:01"))
    run_to_end(Execution.objects.get().id)
    save_flow(api, scheduled("    cron: '*/15 * * * *'\n"), update=True)
    assert row().next_date is None
    assert schedule_tick(now=at("2026-01-01T08:10:00")) == 0
    assert row().next_date == at("2026-01-01T08:15:00")
    assert schedule_tick(now=at("2026-01-01T08:15:00.5")) == 1
    assert fired_dates() == ["2026-01-01T08:00:00Z", "2026-01-01T08:15:00Z"]


def test_a_schedule_in_a_time_zone_fires_at_its_local_time(api):
    save_flow(api, scheduled("    cron: '0 9 * * *'\n    timezone: Europe/Paris\n"))
    schedule_tick(now=at("2026-07-01T00:00:00"))
    assert row().next_date == at("2026-07-01T07:00:00")  # 09:00 CEST
    assert schedule_tick(now=at("2026-07-01T07:00:01")) == 1
    assert fired_dates() == ["2026-07-01T07:00:00Z"]


@pytest.mark.django_db(transaction=True)
def test_schedulers_ticking_at_once_start_each_date_exactly_once():
    trigger = "    cron: '*/5 * * * *'\n    allowConcurrent: true\n    backfill:\n      start: 2026-01-01T00:00:00Z\n"
    flow_create(source=scheduled(trigger))
    now = at("2026-01-01T04:00:00")  # 49 dates from the backfill's start, 10 per tick and trigger
    start = threading.Barrier(4)

    def scheduler() -> int:
        """Tick until the backlog is gone: a tick that finds the row locked by another starts nothing."""
        try:
            start.wait()
            started = 0
            for _ in range(200):
                if (next_date := row().next_date) is not None and next_date > now:
                    break  # the backlog is gone (None: not worked out yet, still due)
                started += schedule_tick(now=now)
            return started
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        started = list(pool.map(lambda _: scheduler(), range(4)))
    dates = fired_dates()
    assert len(dates) == len(set(dates)) == 49 == sum(started)
    assert row().next_date == at("2026-01-01T04:05:00")


def test_celerys_lines_about_each_tick_are_left_out_of_the_log_but_not_its_errors():
    routine = RoutineTaskFilter()

    def kept(name: str, level: int, message: str) -> bool:
        return routine.filter(logging.LogRecord(name, level, __file__, 1, message, None, None))

    tick = "executions.schedule_tick"
    assert not kept("celery.beat", logging.INFO, f"Scheduler: Sending due task fire-due-schedules ({tick})")
    assert not kept("celery.app.trace", logging.INFO, f"Task {tick}[1] succeeded in 0.01s: 0")
    assert kept("celery.app.trace", logging.ERROR, f"Task {tick}[1] raised unexpected: OperationalError")
    assert kept("celery.app.trace", logging.INFO, "Task executions.advance[2] succeeded in 0.01s: None")
    assert kept("executions.schedules", logging.INFO, f"schedule 'every' of flow 'acme.nightly': {tick}")


def test_triggers_waiting_for_their_execution_do_not_hold_back_the_others(api, settings):
    settings.FLOWHUB_SCHEDULE_FIRES_PER_TICK = 1  # a tick looks at 10 due triggers
    for number in range(12):
        flow_create(source=scheduled("    cron: '0 * * * *'\n").replace("id: nightly", f"id: waits{number}"))
    schedule_tick(now=at("2026-01-01T07:59:00"))
    while schedule_tick(now=at("2026-01-01T08:00:01")):
        pass  # each starts its 08:00 execution, which keeps running
    save_flow(api, scheduled("    cron: '5 9 * * *'\n"))
    schedule_tick(now=at("2026-01-01T08:10:00"))
    # The twelve are due since 09:00 and wait; nightly, due at 09:05, is behind them by date, not by turn.
    assert schedule_tick(now=at("2026-01-01T09:05:01")) == 1
    assert fired_dates() == ["2026-01-01T09:05:00Z"]


def test_a_trigger_that_cannot_be_ticked_is_logged_and_the_others_fire(api, caplog):
    save_flow(api, scheduled("    cron: '0 * * * *'\n"))
    flow_create(source=scheduled("    cron: '0 * * * *'\n").replace("id: nightly", "id: broken"))
    schedule_tick(now=at("2026-01-01T07:59:00"))
    FlowRevision.objects.filter(flow__flow_id="broken").update(source="id: broken\nnamespace: acme\ntasks: nope\n")
    with caplog.at_level(logging.ERROR, logger="executions.schedules"):
        assert schedule_tick(now=at("2026-01-01T08:00:01")) == 1
    assert "the scheduler could not tick trigger row" in caplog.text
    assert fired_dates() == ["2026-01-01T08:00:00Z"]
