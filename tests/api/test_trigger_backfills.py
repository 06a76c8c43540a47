"""Backfills of Schedule triggers as Kestra starts them (`PUT /triggers` with a `backfill`), fired by the scheduler
besides the regular dates, each exactly once; pausing, resuming and deleting them, one, given ones or by query."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from executions.models import Execution, Trigger
from executions.schedules import schedule_tick
from executions.trigger_backfills import trigger_backfill_start
from namespaces.services import flow_create

from .clients import error_paths, member
from .drive import run_to_end
from .helpers import YAML, assert_problem

pytestmark = pytest.mark.django_db

SCHEDULE = "io.kestra.plugin.core.trigger.Schedule"
REF = {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def scheduled(flow_id: str = "nightly", namespace: str = "acme", options: str = "    allowConcurrent: true\n") -> str:
    """A flow whose hourly Schedule gives it `day` and a label; and a webhook."""
    return (
        f"id: {flow_id}\nnamespace: {namespace}\n"
        "inputs:\n  - id: day\n    type: STRING\n  - id: reason\n    type: STRING\n    defaults: routine\n"
        "tasks:\n  - id: seen\n    type: io.kestra.plugin.core.debug.Return\n"
        '    format: "{{ trigger.date }} {{ inputs.day }} {{ inputs.reason }}"\n'
        f"triggers:\n  - id: hourly\n    type: {SCHEDULE}\n    cron: '0 * * * *'\n{options}"
        "    inputs:\n      day: \"{{ trigger.date | date('yyyy-MM-dd') }}\"\n    labels:\n      team: data\n"
        "  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: a-long-enough-key-1234\n"
    )


@pytest.fixture
def flows(api):
    for flow_id, namespace in (("nightly", "acme"), ("report", "acme.sales"), ("other", "elsewhere")):
        response = api.post("/api/v1/flows", scheduled(flow_id, namespace), content_type=YAML)
        assert response.status_code == 200, response.content
    schedule_tick(now=at("2026-01-01T07:59:00"))  # each regular schedule learns its next date: 08:00


def backfill(api, ref=None, **window):
    return api.put("/api/v1/triggers", {**(ref or REF), "backfill": window}, format="json")


def row(flow_id: str = "nightly") -> Trigger:
    return Trigger.objects.get(flow_id=flow_id, trigger_id="hourly")


def fired(flow_id: str = "nightly") -> list[tuple[str, bool]]:
    """Each execution of the flow: the date it was started for, and whether a backfill started it."""
    executions = Execution.objects.filter(flow_id=flow_id).order_by("created_at", "id")
    return [
        (execution.trigger["variables"]["date"], {"key": "system.backfill", "value": "true"} in execution.labels)
        for execution in executions
    ]


def trigger_json(api, flow_id: str = "nightly", namespace: str = "acme") -> dict:
    (hourly,) = [
        item
        for item in api.get(f"/api/v1/triggers/{namespace}/{flow_id}").json()["results"]
        if item["triggerId"] == "hourly"
    ]
    return hourly


def test_a_backfill_is_shown_on_the_trigger_as_kestra_shows_it(api, flows):
    response = backfill(
        api,
        start="2026-01-01T05:00:00Z",
        end="2026-01-01T08:00:00Z",
        inputs={"reason": "outage"},
        labels=[{"key": "reason", "value": "outage"}],
    )
    assert response.status_code == 200, response.content
    assert response.json()["backfill"] == {
        "start": "2026-01-01T05:00:00.000000Z",
        "end": "2026-01-01T08:00:00.000000Z",
        "currentDate": "2026-01-01T05:00:00.000000Z",
        "paused": False,
        "inputs": {"reason": "outage"},
        "labels": [{"key": "reason", "value": "outage"}],
        "previousNextExecutionDate": "2026-01-01T08:00:00.000000Z",
    }
    assert trigger_json(api)["backfill"] == response.json()["backfill"]
    assert "backfill" not in trigger_json(api, "report", "acme.sales")


def test_the_scheduler_fires_each_date_of_the_backfill_in_order_besides_the_regular_one(api, flows):
    labels = {"reason": "outage"}  # Kestra's map form is taken too
    assert backfill(api, start="2026-01-01T05:30:00Z", end="2026-01-01T08:00:00Z", labels=labels).status_code == 200
    backfill_id = row().backfill_id
    assert schedule_tick(now=at("2026-01-01T08:00:01")) == 6  # nightly's 08:00 and 3 dates; report's and other's
    assert fired() == [
        ("2026-01-01T08:00:00Z", False),
        ("2026-01-01T06:00:00Z", True),
        ("2026-01-01T07:00:00Z", True),
        ("2026-01-01T08:00:00Z", True),  # fired again: a backfill replays what the schedule did too
    ]
    backfilled = Execution.objects.filter(flow_id="nightly").order_by("created_at", "id")[1]
    labels = {label["key"]: label["value"] for label in backfilled.labels}
    assert labels == {
        "system.from": "trigger",
        "team": "data",
        "reason": "outage",
        "system.backfill": "true",
        "system.correlationId": backfilled.id,
    }
    assert backfilled.inputs == {"day": "2026-01-01", "reason": "routine"}
    assert backfilled.idempotency_key == f"backfill:hourly:{backfill_id}:2026-01-01T06:00:00Z"
    assert run_to_end(backfilled.id).task_runs.get().outputs == {"value": "2026-01-01T06:00:00Z 2026-01-01 routine"}
    assert "backfill" not in trigger_json(api)  # past its end: over
    assert (row().next_date, row().last_date) == (at("2026-01-01T09:00:00"), at("2026-01-01T08:00:00"))


def test_each_backfill_date_is_fired_once_however_often_the_scheduler_ticks(api, flows, settings):
    settings.FLOWHUB_SCHEDULE_FIRES_PER_TICK = 4
    response = backfill(api, start="2026-01-01T00:00:00Z", end="2026-01-01T06:00:00Z", inputs={"reason": "replay"})
    backfill_id = row().backfill_id
    assert [schedule_tick(now=at("2026-01-01T07:59:30")) for _ in range(3)] == [4, 3, 0]
    executions = Execution.objects.filter(flow_id="nightly").order_by("created_at", "id")
    assert [execution.idempotency_key for execution in executions] == [
        f"backfill:hourly:{backfill_id}:2026-01-01T0{hour}:00:00Z" for hour in range(7)
    ]
    assert {execution.inputs["reason"] for execution in executions} == {"replay"}
    assert response.json()["backfill"]["currentDate"] == "2026-01-01T00:00:00.000000Z"
    assert not row().backfilling


def test_a_backfill_date_fired_again_by_a_stale_scheduler_starts_nothing_new(api, flows):
    backfill(api, start="2026-01-01T05:00:00Z", end="2026-01-01T07:00:00Z")
    assert schedule_tick(now=at("2026-01-01T06:30:00")) == 2
    # A scheduler that read the row before the first moved it on fires 05:00 and 06:00 again: their idempotency
    # keys answer the executions already started, and the compare-and-set moves the row once.
    Trigger.objects.filter(pk=row().pk).update(backfill_current_date=at("2026-01-01T05:00:00"))
    schedule_tick(now=at("2026-01-01T07:00:01"))
    assert fired() == [(f"2026-01-01T0{hour}:00:00Z", True) for hour in (5, 6, 7)]
    assert not row().backfilling


def test_a_second_backfill_fires_the_same_dates_again(api, flows):
    window = {"start": "2026-01-01T05:00:00Z", "end": "2026-01-01T06:00:00Z"}
    backfill(api, **window)
    schedule_tick(now=at("2026-01-01T07:00:00"))
    backfill(api, **window)
    schedule_tick(now=at("2026-01-01T07:00:01"))
    assert fired() == [("2026-01-01T05:00:00Z", True), ("2026-01-01T06:00:00Z", True)] * 2


def test_a_backfill_without_an_end_fires_up_to_when_it_was_started(api, flows):
    now = timezone.now()
    start = now.replace(minute=30, second=0, microsecond=0) - timedelta(hours=3)  # three full hours before now
    response = backfill(api, start=start.isoformat())
    assert now <= datetime.fromisoformat(response.json()["backfill"]["end"]) <= timezone.now()
    later = (timezone.now() + timedelta(hours=5)).replace(minute=30)  # no regular date is on time then
    assert schedule_tick(now=later) == 3
    hours = [start + timedelta(minutes=30 + 60 * number) for number in range(3)]
    assert [date for date, by_backfill in fired() if by_backfill] == [
        hour.strftime("%Y-%m-%dT%H:%M:%SZ") for hour in hours
    ]


def test_without_allow_concurrent_a_backfill_fires_one_date_at_a_time_after_the_regular_one(api):
    assert api.post("/api/v1/flows", scheduled(options=""), content_type=YAML).status_code == 200
    schedule_tick(now=at("2026-01-01T07:59:00"))
    backfill(api, start="2026-01-01T05:00:00Z", end="2026-01-01T06:00:00Z")
    assert schedule_tick(now=at("2026-01-01T08:00:01")) == 1
    assert fired() == [("2026-01-01T08:00:00Z", False)]
    for expected in (("2026-01-01T05:00:00Z", True), ("2026-01-01T06:00:00Z", True)):
        assert schedule_tick(now=at("2026-01-01T08:00:02")) == 0  # the one it started still runs
        run_to_end(Execution.objects.order_by("-created_at", "-id").first().id)
        assert schedule_tick(now=at("2026-01-01T08:00:03")) == 1
        assert fired()[-1] == expected
    assert not row().backfilling


def test_a_paused_backfill_waits_where_it_stands_and_goes_on_when_unpaused(api, flows):
    backfill(api, start="2026-01-01T03:00:00Z", end="2026-01-01T05:00:00Z")
    response = api.put("/api/v1/triggers/backfill/pause", REF, format="json")
    assert response.status_code == 200 and response.json()["backfill"]["paused"] is True
    assert schedule_tick(now=at("2026-01-01T08:00:01")) == 3  # the three regular 08:00s
    assert fired() == [("2026-01-01T08:00:00Z", False)]
    response = api.put("/api/v1/triggers/backfill/unpause", REF, format="json")
    assert response.status_code == 200 and response.json()["backfill"]["paused"] is False
    assert schedule_tick(now=at("2026-01-01T08:00:02")) == 3
    assert [date for date, _ in fired()[1:]] == ["2026-01-01T03:00:00Z", "2026-01-01T04:00:00Z", "2026-01-01T05:00:00Z"]


def test_a_deleted_backfill_fires_no_more(api, flows):
    backfill(api, start="2026-01-01T03:00:00Z", end="2026-01-01T05:00:00Z")
    response = api.post("/api/v1/main/triggers/backfill/delete", REF, format="json")
    assert response.status_code == 200 and "backfill" not in response.json()
    assert not row().backfilling and row().next_date == at("2026-01-01T08:00:00")
    assert schedule_tick(now=at("2026-01-01T08:00:01")) == 3
    assert fired() == [("2026-01-01T08:00:00Z", False)]


def test_a_backfill_of_a_disabled_trigger_waits_and_goes_on_once_it_is_enabled(api, flows):
    backfill(api, start="2026-01-01T03:00:00Z", end="2026-01-01T04:00:00Z")
    assert api.put("/api/v1/triggers", {**REF, "disabled": True}, format="json").status_code == 200
    schedule_tick(now=at("2026-01-01T08:00:01"))
    assert fired() == [] and row().backfill_current_date == at("2026-01-01T03:00:00")
    assert api.put("/api/v1/triggers", {**REF, "disabled": False}, format="json").status_code == 200
    assert schedule_tick(now=at("2026-01-01T08:30:00")) == 2
    assert fired() == [("2026-01-01T03:00:00Z", True), ("2026-01-01T04:00:00Z", True)]


@pytest.mark.parametrize("action", ["pause", "unpause", "delete"])
def test_a_backfill_action_on_a_trigger_without_one_is_409_and_on_an_unknown_one_404(api, flows, action):
    call = api.post if action == "delete" else api.put
    url = f"/api/v1/triggers/backfill/{action}"
    assert_problem(call(url, REF, format="json"), 409, "conflict")
    assert_problem(call(url, {**REF, "triggerId": "nope"}, format="json"), 404, "not-found")
    assert_problem(call(url, {**REF, "flowId": "nope"}, format="json"), 404, "not-found")
    problem = assert_problem(
        call(url, {"namespace": "acme", "flowId": "nightly"}, format="json"), 400, "invalid-query-parameter"
    )
    assert [error["path"] for error in problem["errors"]] == ["triggerId"]


@pytest.mark.parametrize(
    ("action", "paused", "running"),
    [("pause", True, True), ("unpause", False, True), ("delete", None, False)],
)
def test_backfill_actions_by_triggers_and_by_query_count_the_triggers_running_one(api, flows, action, paused, running):
    for ref in (REF, {"namespace": "acme.sales", "flowId": "report", "triggerId": "hourly"}):
        assert backfill(api, ref, start="2026-01-01T03:00:00Z", end="2026-01-01T04:00:00Z").status_code == 200
    refs = [REF, {**REF, "triggerId": "hook"}, {**REF, "triggerId": "nope"}]  # a webhook runs none; nope is none
    response = api.post(f"/api/v1/triggers/backfill/{action}/by-triggers", refs, format="json")
    assert response.json() == {"count": 1}
    assert (row().backfilling, row().backfill_paused if running else None) == (running, paused)
    assert row("report").backfilling and not row("report").backfill_paused
    response = api.post(f"/api/v1/triggers/backfill/{action}/by-query?filters[namespace][PREFIX]=acme")
    assert response.json() == {"count": 2 if running else 1}
    assert row("report").backfilling == running
    assert api.post(f"/api/v1/triggers/backfill/{action}/by-query?namespace=elsewhere").json() == {"count": 0}
    recorded = AuditEntry.objects.filter(action=f"trigger.backfill.{action}").values_list("namespace", "target")
    assert sorted(recorded) == sorted([("acme", "nightly.hourly"), ("acme.sales", "report.hourly")] + running * [
        ("acme", "nightly.hourly")
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ([{"namespace": "acme", "flowId": "nightly"}], "0.triggerId"),
        ({"namespace": "acme", "flowId": "nightly", "triggerId": "hourly"}, "$"),
        ("hourly", "$"),
    ],
)
@pytest.mark.parametrize("url", ["backfill/pause", "backfill/unpause", "backfill/delete", "unlock"])
def test_a_bad_by_triggers_body_is_400_naming_the_field(api, flows, url, body, path):
    backfill(api, start="2026-01-01T03:00:00Z", end="2026-01-01T04:00:00Z")
    response = api.post(f"/api/v1/triggers/{url}/by-triggers", body, format="json")
    assert_problem(response, 400, "invalid-query-parameter")
    assert error_paths(response) == [path]
    assert row().backfilling and not row().backfill_paused


@pytest.mark.parametrize("url", ["backfill/pause", "unlock"])
def test_a_bad_by_query_filter_is_400_naming_it(api, flows, url):
    response = api.post(f"/api/v1/triggers/{url}/by-query?filters[cron][EQUALS]=x")
    assert_problem(response, 400, "invalid-query-filters")
    assert error_paths(response) == ["filters[cron][EQUALS]"]


@pytest.mark.parametrize(
    ("window", "status", "path"),
    [
        ({"end": "2026-01-01T04:00:00Z"}, 400, "backfill.start"),
        ({"start": "yesterday"}, 400, "backfill.start"),
        ({"start": "2026-01-01T05:00:00Z", "end": "2026-01-01T04:00:00Z"}, 422, "backfill.end"),
        ({"start": "2999-01-01T00:00:00Z"}, 422, "backfill.start"),
        ({"start": "2026-01-01T03:00:00Z", "inputs": ["outage"]}, 400, "backfill.inputs"),
        ({"start": "2026-01-01T03:00:00Z", "labels": [{"key": "system.from", "value": "me"}]}, 400, "backfill.labels"),
        ({"start": "2026-01-01T03:00:00Z", "labels": [{"key": "reason"}]}, 400, "backfill.labels.0.value"),
        ({"start": "2026-01-01T03:00:00Z", "labels": "reason:outage"}, 400, "backfill.labels"),
    ],
)
def test_a_bad_backfill_is_refused_naming_the_field_and_changes_nothing(api, flows, window, status, path):
    response = backfill(api, **window)
    assert_problem(response, status, "invalid-query-parameter" if status == 400 else "validation-failed")
    assert error_paths(response) == [path]
    assert not Trigger.objects.exclude(backfill_id="").exists()


def test_only_a_schedule_can_be_backfilled_and_only_an_existing_one(api, flows):
    response = backfill(api, {**REF, "triggerId": "hook"}, start="2026-01-01T03:00:00Z")
    assert_problem(response, 422, "validation-failed")
    assert error_paths(response) == ["triggerId"]
    assert_problem(backfill(api, {**REF, "triggerId": "nope"}, start="2026-01-01T03:00:00Z"), 404, "not-found")
    assert_problem(backfill(api, {**REF, "flowId": "nope"}, start="2026-01-01T03:00:00Z"), 404, "not-found")
    assert not Trigger.objects.exclude(backfill_id="").exists()


def test_kestra_2s_backfill_create_starts_one_too(api, flows):
    url = "/api/v1/main/triggers/backfill/create"
    window = {"start": "2026-01-01T05:00:00Z", "end": "2026-01-01T06:00:00Z"}
    response = api.put(url, {**REF, "backfill": window}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["backfill"]["currentDate"] == "2026-01-01T05:00:00.000000Z"
    assert schedule_tick(now=at("2026-01-01T07:00:00")) == 2
    assert fired() == [("2026-01-01T05:00:00Z", True), ("2026-01-01T06:00:00Z", True)]
    assert error_paths(api.put(url, {**REF, "disabled": True}, format="json")) == ["backfill"]
    assert error_paths(api.put(url, {**REF, "triggerId": "hook", "backfill": window}, format="json")) == ["triggerId"]


def test_a_backfill_needs_no_disabled_and_a_trigger_update_needs_one_of_them(api, flows):
    assert backfill(api, start="2026-01-01T03:00:00Z").status_code == 200  # as Kestra's documented curl sends it
    response = api.put("/api/v1/triggers", {**REF, "backfill": None}, format="json")
    assert_problem(response, 400, "invalid-query-parameter")
    assert error_paths(response) == ["disabled"]


def test_an_executor_backfills_and_unlocks_but_only_an_editor_disables(flows):
    executor = member("ex", {"acme": "executor"})
    assert backfill(executor, start="2026-01-01T03:00:00Z").status_code == 200
    assert executor.put("/api/v1/triggers/backfill/pause", REF, format="json").status_code == 200
    assert_problem(executor.put("/api/v1/triggers", {**REF, "disabled": True}, format="json"), 403, "forbidden")
    viewer = member("vi", {"acme": "viewer"})
    assert_problem(backfill(viewer, start="2026-01-01T03:00:00Z"), 403, "forbidden")
    assert_problem(backfill(member("out", {"elsewhere": "executor"}), start="2026-01-01T03:00:00Z"), 404, "not-found")
    assert viewer.post("/api/v1/triggers/backfill/delete/by-triggers", [REF], format="json").json() == {"count": 0}
    assert row().backfill_paused


def test_a_new_revision_keeps_the_backfill_where_it_stands(api, flows):
    backfill(api, start="2026-01-01T03:00:00Z", end="2026-01-01T05:00:00Z")
    schedule_tick(now=at("2026-01-01T03:30:00"))
    source = scheduled().replace("0 * * * *", "30 * * * *")
    assert api.put("/api/v1/flows/acme/nightly", source, content_type=YAML).status_code == 200
    assert row().backfill_current_date == at("2026-01-01T04:00:00")
    schedule_tick(now=at("2026-01-01T08:00:00"))
    assert [date for date, by_backfill in fired() if by_backfill] == [
        "2026-01-01T03:00:00Z", "2026-01-01T04:30:00Z",
    ]  # fmt: skip


def test_a_trigger_that_is_no_longer_a_schedule_loses_its_backfill(api, flows):
    backfill(api, start="2026-01-01T03:00:00Z", end="2026-01-01T05:00:00Z")
    webhook = (
        "id: nightly\nnamespace: acme\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
        "triggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: a-long-enough-key-1234\n"
    )
    assert api.put("/api/v1/flows/acme/nightly", webhook, content_type=YAML).status_code == 200
    assert not row().backfilling and "backfill" not in trigger_json(api)


def test_unlock_by_triggers_and_by_query_count_the_locked_ones(api):
    for flow_id in ("nightly", "daily"):
        assert api.post("/api/v1/flows", scheduled(flow_id, options=""), content_type=YAML).status_code == 200
    schedule_tick(now=at("2026-01-01T07:59:00"))
    assert schedule_tick(now=at("2026-01-01T08:00:01")) == 2  # both executions still run: both triggers wait
    refs = [REF, {**REF, "triggerId": "hook"}, {**REF, "flowId": "daily"}, {**REF, "flowId": "nope"}]
    assert api.post("/api/v1/triggers/unlock/by-triggers", refs[:2] + refs[3:], format="json").json() == {"count": 1}
    assert api.post("/api/v1/triggers/unlock/by-query?namespace=acme").json() == {
        "count": 1
    }  # daily's; nightly is free
    assert api.post("/api/v1/triggers/unlock/by-triggers", refs, format="json").json() == {"count": 0}
    unlocked = AuditEntry.objects.filter(action="trigger.unlock").values_list("target", flat=True)
    assert sorted(unlocked) == ["daily.hourly", "nightly.hourly"]
    assert schedule_tick(now=at("2026-01-01T09:00:01")) == 2


def test_the_admin_shows_a_backfill_and_pauses_resumes_and_deletes_it(api, flows):
    backfill(api, start="2026-01-01T03:00:00Z", end="2026-01-01T05:00:00Z")
    get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client = Client()
    client.login(username="root", password="pw-for-tests")
    page = client.get("/admin/executions/trigger/?q=nightly").content.decode()
    assert "2026-01-01 03:00 UTC → 2026-01-01 05:00 UTC, at 2026-01-01 03:00 UTC" in page
    for action, paused in (("pause_backfill", True), ("unpause_backfill", False)):
        form = {"action": action, "_selected_action": [str(row().pk)]}
        assert client.post("/admin/executions/trigger/", form).status_code == 302
        assert row().backfill_paused is paused
    form = {"action": "delete_backfill", "_selected_action": [str(row().pk)]}
    assert client.post("/admin/executions/trigger/", form).status_code == 302
    assert not row().backfilling
    assert client.get(f"/admin/executions/trigger/{row().pk}/change/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_schedulers_ticking_at_once_fire_each_backfill_date_exactly_once():
    flow_create(source=scheduled())
    trigger_backfill_start(
        namespace="acme", flow_id="nightly", trigger_id="hourly", start=at("2026-01-01T00:00:00"),
        end=at("2026-01-03T00:00:00"),
    )  # fmt: skip
    now = at("2026-01-03T00:30:00")  # 49 dates have come, 10 per tick and trigger; no regular one
    start = threading.Barrier(4)

    def scheduler() -> int:
        """Tick until the backfill is over: a tick that finds the row locked by another starts nothing."""
        try:
            start.wait()
            started = 0
            for _ in range(200):
                if not row().backfilling:
                    break
                started += schedule_tick(now=now)
            return started
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        started = list(pool.map(lambda _: scheduler(), range(4)))
    dates = [date for date, by_backfill in fired() if by_backfill]
    assert len(dates) == len(set(dates)) == 49 == sum(started) == len(fired())
    assert dates[0] == "2026-01-01T00:00:00Z" and dates[-1] == "2026-01-03T00:00:00Z"
