"""A Schedule's fire times (cron, seconds, nicknames, time zones across DST) and what a tick fires of a due one."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from flowhub.engine.parser import parse_flow
from flowhub.engine.registry import default_registry
from flowhub.engine.schedule import (
    CronClock,
    backfill_plan,
    backfill_window,
    first_date,
    iso_seconds,
    schedule_plan,
    trigger_variables,
)
from flowhub.engine.tasks.triggers import Schedule

LATE = timedelta(seconds=60)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def following(clock: CronClock, start: str, count: int) -> list[str]:
    dates, moment = [], at(start)
    for _ in range(count):
        moment = clock.next_after(moment)
        dates.append(iso_seconds(moment))
    return dates


def preceding(clock: CronClock, start: str, count: int) -> list[str]:
    dates, moment = [], at(start)
    for _ in range(count):
        moment = clock.previous_before(moment)
        dates.append(iso_seconds(moment))
    return dates


def schedule(**properties) -> Schedule:
    return Schedule.model_validate({"id": "every", "type": Schedule.TYPE, **properties})


@pytest.mark.parametrize(
    ("cron", "options", "start", "expected"),
    [
        ("*/15 * * * *", {}, "2026-01-01T00:07:30", ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"]),
        ("0 9 * * 1-5", {}, "2026-01-02T10:00:00", ["2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"]),
        ("0 9 * * 7", {}, "2026-01-01", ["2026-01-04T09:00:00Z", "2026-01-11T09:00:00Z"]),  # 7 is Sunday
        ("0 0 13 * 5", {}, "2026-01-10", ["2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"]),  # the 13th, or Fridays
        ("@hourly", {}, "2026-01-01", ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]),
        ("@daily", {}, "2026-01-01", ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]),
        ("@monthly", {}, "2026-01-15", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
        ("@weekly", {}, "2026-01-01", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        ("@yearly", {"with_seconds": True}, "2026-06-01", ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]),
        ("*/20 * * * * *", {"with_seconds": True}, "2026-01-01", ["2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z"]),
        ("30 0 9 * * *", {"with_seconds": True}, "2026-01-01", ["2026-01-01T09:00:30Z", "2026-01-02T09:00:30Z"]),
        ("0 9 * * *", {"timezone": "America/New_York"}, "2026-01-01", ["2026-01-01T14:00:00Z", "2026-01-02T14:00:00Z"]),
        ("0 9 * * *", {"timezone": "Asia/Kolkata"}, "2026-01-01", ["2026-01-01T03:30:00Z", "2026-01-02T03:30:00Z"]),
    ],
)  # fmt: skip
def test_fire_times_follow_the_cron_in_its_time_zone(cron, options, start, expected):
    assert following(CronClock(cron, **options), start, 2) == expected


def test_next_is_strictly_after_and_previous_strictly_before_a_fire_time():
    clock = CronClock("*/15 * * * *")
    assert clock.next_after(at("2026-01-01T00:15:00")) == at("2026-01-01T00:30:00")
    assert clock.previous_before(at("2026-01-01T00:15:00")) == at("2026-01-01T00:00:00")
    assert clock.first_from(at("2026-01-01T00:15:00")) == at("2026-01-01T00:15:00")
    assert clock.next_after(at("2026-01-01T00:14:59.999999")) == at("2026-01-01T00:15:00")


def test_a_cron_that_never_matches_has_no_next_date():
    assert CronClock("0 0 30 2 *").next_after(at("2026-01-01T00:00:00")) is None
    assert CronClock("0 0 30 2 *").previous_before(at("2026-01-01T00:00:00")) is None


# Europe/Paris: clocks jump 02:00 → 03:00 on 2026-03-29 (01:00 UTC) and fall 03:00 → 02:00 on 2026-10-25.


def test_an_hourly_schedule_skips_the_hour_spring_forward_removes():
    clock = CronClock("*/30 * * * *", timezone="Europe/Paris")
    assert following(clock, "2026-03-28T23:50:00", 4) == [
        "2026-03-29T00:00:00Z",  # 01:00 CET
        "2026-03-29T00:30:00Z",  # 01:30 CET; 02:00 and 02:30 do not exist
        "2026-03-29T01:00:00Z",  # 03:00 CEST
        "2026-03-29T01:30:00Z",
    ]


def test_an_hourly_schedule_runs_the_repeated_hour_of_a_fall_back_twice():
    clock = CronClock("*/30 * * * *", timezone="Europe/Paris")
    expected = [
        "2026-10-25T00:00:00Z",  # 02:00 CEST
        "2026-10-25T00:30:00Z",  # 02:30 CEST
        "2026-10-25T01:00:00Z",  # 02:00 CET, again
        "2026-10-25T01:30:00Z",  # 02:30 CET, again
        "2026-10-25T02:00:00Z",  # 03:00 CET
    ]
    assert following(clock, "2026-10-24T23:50:00", 5) == expected
    assert preceding(clock, "2026-10-25T02:10:00", 5) == expected[::-1]


def test_a_daily_time_skipped_by_spring_forward_runs_as_much_later():
    clock = CronClock("30 2 * * *", timezone="Europe/Paris")
    expected = ["2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"]  # 02:30 CET, 03:30, 02:30
    assert following(clock, "2026-03-28T00:00:00", 3) == expected
    assert preceding(clock, "2026-03-30T12:00:00", 3) == expected[::-1]


def test_a_daily_time_repeated_by_fall_back_runs_once():
    clock = CronClock("30 2 * * *", timezone="Europe/Paris")
    expected = ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]
    assert following(clock, "2026-10-24T00:00:00", 3) == expected
    assert preceding(clock, "2026-10-26T12:00:00", 3) == expected[::-1]


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"cron": "61 * * * *"}, "invalid cron expression"),
        ({"cron": "* * * * * *"}, "expected 5 fields"),
        ({"cron": "0 9 * * *", "withSeconds": True}, "expected 6 fields (seconds first"),
        ({"cron": "@fortnightly"}, "or a @nickname"),
        ({"cron": "@daily", "timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
        ({"cron": "@daily", "backfill": {"start": "yesterday"}}, "not an ISO-8601 date-time"),
        ({"cron": "@daily", "backfill": {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01"}}, "end is before"),
    ],
)
def test_bad_schedules_are_refused(properties, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        schedule(**properties)


def test_a_backfill_takes_unquoted_yaml_dates():
    flow = parse_flow(
        "id: f\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: m\n"
        "triggers:\n  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '@daily'\n"
        "    backfill:\n      start: 2026-01-01T00:00:00Z\n      end: 2026-02-01\n",
        default_registry(),
    )
    window = backfill_window(flow.triggers[0])
    assert (window.start, window.end) == (at("2026-01-01T00:00:00"), at("2026-02-01T00:00:00"))


def test_the_trigger_variables_are_the_date_and_its_neighbours_in_utc():
    every_day = schedule(cron="0 9 * * *", timezone="Europe/Paris")
    assert trigger_variables(every_day, at("2026-06-10T07:00:00")) == {
        "date": "2026-06-10T07:00:00Z",
        "next": "2026-06-11T07:00:00Z",
        "previous": "2026-06-09T07:00:00Z",
    }


def test_the_first_date_follows_the_last_fired_one_else_now_else_the_backfill_start():
    minutely = schedule(cron="* * * * *")
    assert first_date(minutely, last_date=None, now=at("2026-01-01T10:00:30")) == at("2026-01-01T10:01:00")
    assert first_date(minutely, last_date=at("2026-01-01T09:00:00"), now=at("2026-01-01T10:00:30")) == at(
        "2026-01-01T09:01:00"
    )
    backfilled = schedule(cron="0 * * * *", backfill={"start": "2026-01-01T05:30:00Z"})
    assert first_date(backfilled, last_date=None, now=at("2026-01-01T10:00:30")) == at("2026-01-01T06:00:00")
    assert first_date(backfilled, last_date=at("2026-01-01T08:00:00"), now=at("2026-01-01T10:00:30")) == at(
        "2026-01-01T09:00:00"
    )
    in_paris = schedule(cron="0 * * * *", timezone="Europe/Paris", backfill={"start": "2026-01-01T05:30:00"})
    assert first_date(in_paris, last_date=None, now=at("2026-01-01T10:00:00")) == at("2026-01-01T05:00:00")


def plan(trigger: Schedule, due: str, now: str, limit: int = 100) -> tuple[list[str], str | None]:
    result = schedule_plan(trigger, due=at(due), now=at(now), limit=limit, default_lateness=LATE)
    return [iso_seconds(date) for date in result.fires], result.next_date and iso_seconds(result.next_date)


def test_a_due_date_fires_once_and_the_next_one_waits():
    assert plan(schedule(cron="* * * * *"), "2026-01-01T10:00:00", "2026-01-01T10:00:00.4") == (
        ["2026-01-01T10:00:00Z"],
        "2026-01-01T10:01:00Z",
    )
    not_yet = plan(schedule(cron="* * * * *"), "2026-01-01T10:01:00", "2026-01-01T10:00:59")
    assert not_yet == ([], "2026-01-01T10:01:00Z")


def test_missed_dates_are_skipped_by_default_up_to_the_one_still_on_time():
    fires, next_date = plan(schedule(cron="*/10 * * * *"), "2026-01-01T08:00:00", "2026-01-01T10:00:30")
    assert fires == ["2026-01-01T10:00:00Z"]  # 30 s late is on time; the 12 dates before were missed
    assert next_date == "2026-01-01T10:10:00Z"


def test_late_maximum_delay_sets_how_late_is_still_on_time():
    patient = schedule(cron="*/10 * * * *", lateMaximumDelay="PT25M", recoverMissedSchedules="ALL")
    fires, _ = plan(patient, "2026-01-01T08:00:00", "2026-01-01T10:00:30")
    assert fires == ["2026-01-01T09:40:00Z", "2026-01-01T09:50:00Z", "2026-01-01T10:00:00Z"]  # ALL is overruled


def test_recover_all_fires_every_missed_date_in_order_up_to_the_limit():
    every = schedule(cron="*/10 * * * *", recoverMissedSchedules="ALL")
    fires, next_date = plan(every, "2026-01-01T09:00:00", "2026-01-01T10:00:30", limit=4)
    assert fires == ["2026-01-01T09:00:00Z", "2026-01-01T09:10:00Z", "2026-01-01T09:20:00Z", "2026-01-01T09:30:00Z"]
    assert next_date == "2026-01-01T09:40:00Z"  # the next tick goes on from there


def test_recover_last_fires_only_the_latest_missed_date_then_the_one_on_time():
    last = schedule(cron="*/10 * * * *", recoverMissedSchedules="LAST")
    assert plan(last, "2026-01-01T08:00:00", "2026-01-01T10:00:30") == (
        ["2026-01-01T09:50:00Z", "2026-01-01T10:00:00Z"],
        "2026-01-01T10:10:00Z",
    )


def test_a_backfill_fires_each_date_of_its_window_and_skips_missed_ones_outside_it():
    window = {"start": "2026-01-01T06:00:00Z", "end": "2026-01-01T07:00:00Z"}
    backfilled = schedule(cron="*/30 * * * *", backfill=window)
    assert plan(backfilled, "2026-01-01T05:00:00", "2026-01-01T10:00:10") == (
        ["2026-01-01T06:00:00Z", "2026-01-01T06:30:00Z", "2026-01-01T07:00:00Z", "2026-01-01T10:00:00Z"],
        "2026-01-01T10:30:00Z",
    )
    open_ended = schedule(cron="0 * * * *", backfill={"start": "2026-01-01T07:00:00Z"})
    fires, _ = plan(open_ended, "2026-01-01T07:00:00", "2026-01-01T10:00:10")
    assert fires == ["2026-01-01T07:00:00Z", "2026-01-01T08:00:00Z", "2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z"]


def test_missed_seconds_are_skipped_in_one_step():
    every_second = schedule(cron="* * * * * *", withSeconds=True)
    fires, next_date = plan(every_second, "2026-01-01T00:00:00", "2026-01-02T00:00:00.5")
    assert fires == [f"2026-01-01T23:59:{second:02d}Z" for second in range(1, 60)] + ["2026-01-02T00:00:00Z"]
    assert next_date == "2026-01-02T00:00:01Z"


def api_backfill(trigger: Schedule, current: str, end: str, now: str, limit: int = 100) -> tuple[list[str], str | None]:
    result = backfill_plan(trigger, current=at(current), end=at(end), now=at(now), limit=limit)
    return [iso_seconds(date) for date in result.fires], result.next_date and iso_seconds(result.next_date)


def test_a_backfill_started_through_the_api_fires_its_dates_from_start_to_end_in_order():
    hourly = schedule(cron="0 * * * *")
    fires, next_date = api_backfill(hourly, "2026-01-01T05:30:00", "2026-01-01T08:00:00", "2026-01-02T00:00:00")
    assert fires == ["2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z", "2026-01-01T08:00:00Z"]  # end included
    assert next_date is None  # past its end: the backfill is over


def test_a_backfill_fires_at_most_its_limit_and_goes_on_from_the_next_date():
    hourly = schedule(cron="0 * * * *")
    assert api_backfill(hourly, "2026-01-01T05:00:00", "2026-01-01T09:00:00", "2026-01-02T00:00:00", limit=2) == (
        ["2026-01-01T05:00:00Z", "2026-01-01T06:00:00Z"],
        "2026-01-01T07:00:00Z",
    )


def test_a_backfill_ending_later_waits_for_its_dates_to_come():
    hourly = schedule(cron="0 * * * *")
    assert api_backfill(hourly, "2026-01-01T09:00:00", "2026-01-01T12:00:00", "2026-01-01T10:30:00") == (
        ["2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z"],
        "2026-01-01T11:00:00Z",
    )


def test_a_backfill_whose_window_holds_no_date_is_over_at_once():
    daily = schedule(cron="0 3 * * *", timezone="Europe/Paris")
    assert api_backfill(daily, "2026-01-01T03:00:00", "2026-01-01T12:00:00", "2026-01-02T00:00:00") == ([], None)
