"""Kestra's trigger API: list, search, disable and enable, unlock, restart; flowhub's per-flow toggle; the admin.
Backfills and bulk unlocks: test_trigger_backfills.py."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from executions.models import Execution, Trigger
from executions.schedules import schedule_tick

from .helpers import YAML, assert_problem

pytestmark = pytest.mark.django_db

SCHEDULE = "io.kestra.plugin.core.trigger.Schedule"


def flow_with_triggers(flow_id: str, namespace: str = "acme") -> str:
    return (
        f"id: {flow_id}\nnamespace: {namespace}\n"
        "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
        f"triggers:\n  - id: hourly\n    type: {SCHEDULE}\n    cron: '0 * * * *'\n"
        "  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: s3cr3t\n"
    )


@pytest.fixture
def flows(api):
    for flow_id, namespace in (("nightly", "acme"), ("report", "acme.sales"), ("other", "elsewhere")):
        response = api.post("/api/v1/flows", flow_with_triggers(flow_id, namespace), content_type=YAML)
        assert response.status_code == 200, response.content


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def keys(results) -> list[tuple[str, str, str]]:
    return [(item["namespace"], item["flowId"], item["triggerId"]) for item in results]


def test_a_flows_triggers_are_listed_with_their_state_under_both_prefixes(api, flows):
    schedule_tick(now=at("2026-01-01T07:59:00"))
    for prefix in ("/api/v1", "/api/v1/main"):
        response = api.get(f"{prefix}/triggers/acme/nightly")
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 2 and response["X-Total-Count"] == "2"
        hook, hourly = body["results"]
        assert hourly["nextExecutionDate"] == "2026-01-01T08:00:00.000000Z"
        assert {key: hourly[key] for key in ("tenantId", "namespace", "flowId", "triggerId", "type", "disabled")} == {
            "tenantId": "main",
            "namespace": "acme",
            "flowId": "nightly",
            "triggerId": "hourly",
            "type": SCHEDULE,
            "disabled": False,
        }
        assert hourly["date"].endswith("Z") and hourly["updatedDate"].endswith("Z")
        assert "executionId" not in hourly
        assert hook["triggerId"] == "hook" and "nextExecutionDate" not in hook


def test_the_date_of_a_trigger_is_the_one_it_last_fired_for(api, flows):
    schedule_tick(now=at("2026-01-01T07:59:00"))
    schedule_tick(now=at("2026-01-01T08:00:01"))
    (hourly,) = [
        item for item in api.get("/api/v1/triggers/acme/nightly").json()["results"] if item["type"] == SCHEDULE
    ]
    assert hourly["date"] == "2026-01-01T08:00:00.000000Z"
    assert hourly["executionId"] == Execution.objects.get(flow_id="nightly").id  # still running: it holds the next


def test_search_answers_each_trigger_with_its_definition(api, flows):
    query = {"namespace": "acme", "sort": ["flowId:desc", "triggerId:asc"], "size": 3}
    response = api.get("/api/v1/triggers/search", query)
    body = response.json()
    assert body["total"] == 4
    assert keys(item["triggerContext"] for item in body["results"]) == [
        ("acme.sales", "report", "hook"),
        ("acme.sales", "report", "hourly"),
        ("acme", "nightly", "hook"),
    ]
    assert body["results"][1]["abstractTrigger"] == {"id": "hourly", "type": SCHEDULE, "cron": "0 * * * *"}
    assert 'rel="next"' in response["Link"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "nigh"}, [("acme", "nightly", "hook"), ("acme", "nightly", "hourly")]),
        ({"flowId": "other"}, [("elsewhere", "other", "hook"), ("elsewhere", "other", "hourly")]),
        ({"filters[namespace][EQUALS]": "acme", "filters[triggerId][EQUALS]": "hourly"}, [
            ("acme", "nightly", "hourly"),
        ]),
        ({"filters[namespace][PREFIX]": "acme", "filters[q][CONTAINS]": "ook"}, [
            ("acme", "nightly", "hook"), ("acme.sales", "report", "hook"),
        ]),
    ],
)  # fmt: skip
def test_search_filters_by_text_namespace_flow_and_trigger(api, flows, query, expected):
    body = api.get("/api/v1/triggers/search", query).json()
    assert keys(item["triggerContext"] for item in body["results"]) == expected


def test_put_disables_then_enables_one_trigger(api, flows):
    body = {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly", "disabled": True}
    response = api.put("/api/v1/triggers", body, format="json")
    assert response.status_code == 200
    assert (response.json()["triggerId"], response.json()["disabled"]) == ("hourly", True)
    assert Trigger.objects.get(flow_id="nightly", trigger_id="hourly").disabled
    assert not Trigger.objects.get(flow_id="nightly", trigger_id="hook").disabled
    assert api.put("/api/v1/triggers", {**body, "disabled": False}, format="json").json()["disabled"] is False


def test_a_disabled_schedule_does_not_fire(api, flows):
    schedule_tick(now=at("2026-01-01T07:59:00"))
    body = {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly", "disabled": True}
    assert api.put("/api/v1/triggers", body, format="json").status_code == 200
    schedule_tick(now=at("2026-01-01T08:00:01"))
    assert sorted(Execution.objects.values_list("flow_id", flat=True)) == ["other", "report"]


def test_set_disabled_by_triggers_counts_those_that_exist(api, flows):
    body = {
        "triggers": [
            {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly"},
            {"namespace": "acme.sales", "flowId": "report", "triggerId": "hook"},
            {"namespace": "acme", "flowId": "nightly", "triggerId": "nope"},
        ],
        "disabled": True,
    }
    assert api.post("/api/v1/triggers/set-disabled/by-triggers", body, format="json").json() == {"count": 2}
    disabled = Trigger.objects.filter(disabled=True).values_list("flow_id", "trigger_id")
    assert sorted(disabled) == [("nightly", "hourly"), ("report", "hook")]


def test_set_disabled_by_query_disables_and_enables_what_it_matches(api, flows):
    url = "/api/v1/main/triggers/set-disabled/by-query"
    assert api.post(f"{url}?namespace=acme").json() == {"count": 4}
    assert set(Trigger.objects.filter(disabled=True).values_list("namespace", flat=True)) == {"acme", "acme.sales"}
    assert api.post(f"{url}?filters[namespace][EQUALS]=acme&disabled=false").json() == {"count": 2}
    assert Trigger.objects.filter(disabled=True).count() == 2


def test_a_flows_triggers_are_disabled_and_enabled_in_one_call(api, flows):
    response = api.post("/api/v1/triggers/acme/nightly/disable")
    assert response.status_code == 200
    assert [(item["triggerId"], item["disabled"]) for item in response.json()] == [("hook", True), ("hourly", True)]
    response = api.post("/api/v1/triggers/acme/nightly/enable?triggerId=hook")
    assert [(item["triggerId"], item["disabled"]) for item in response.json()] == [("hook", False), ("hourly", True)]
    assert not Trigger.objects.filter(flow_id="report", disabled=True).exists()


def test_unlock_lets_a_schedule_fire_while_its_execution_still_runs(api, flows):
    url = "/api/v1/triggers/acme/nightly/hourly/unlock"
    assert_problem(api.post(url), 409, "conflict")
    schedule_tick(now=at("2026-01-01T07:59:00"))
    schedule_tick(now=at("2026-01-01T08:00:01"))
    assert schedule_tick(now=at("2026-01-01T09:00:01")) == 0  # nightly waits; the others' 08:00 runs hold them
    response = api.post(url)
    assert response.status_code == 200 and "executionId" not in response.json()
    assert schedule_tick(now=at("2026-01-01T09:00:02")) == 1
    assert Execution.objects.filter(flow_id="nightly").count() == 2


def test_restart_computes_the_next_date_again(api, flows):
    schedule_tick(now=at("2026-01-01T07:59:00"))
    response = api.post("/api/v1/triggers/acme/nightly/hourly/restart")
    assert response.status_code == 200 and "nextExecutionDate" not in response.json()
    schedule_tick(now=at("2026-01-01T09:10:00"))
    assert Trigger.objects.get(flow_id="nightly", trigger_id="hourly").next_date == at("2026-01-01T10:00:00")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"namespace": "acme", "flowId": "nightly", "triggerId": "hourly"}, "disabled"),
        ({"namespace": "acme", "flowId": "nightly", "disabled": True}, "triggerId"),
        ({"namespace": "acme", "flowId": "nightly", "triggerId": "hourly", "disabled": "perhaps"}, "disabled"),
    ],
)  # fmt: skip
def test_a_bad_update_names_the_field_and_changes_nothing(api, flows, body, path):
    problem = assert_problem(api.put("/api/v1/triggers", body, format="json"), 400, "invalid-query-parameter")
    assert [error["path"] for error in problem["errors"]] == [path]
    assert not Trigger.objects.filter(disabled=True).exists()


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("put", "/api/v1/triggers", {"namespace": "acme", "flowId": "nope", "triggerId": "hourly", "disabled": True}),
        ("put", "/api/v1/triggers", {"namespace": "acme", "flowId": "nightly", "triggerId": "nope", "disabled": True}),
        ("get", "/api/v1/triggers/acme/nope", None),
        ("post", "/api/v1/triggers/acme/nope/disable", None),
        ("post", "/api/v1/triggers/acme/nightly/disable?triggerId=nope", None),
        ("post", "/api/v1/triggers/acme/nightly/nope/unlock", None),
        ("post", "/api/v1/triggers/acme/nightly/nope/restart", None),
    ],
)
def test_an_unknown_flow_or_trigger_is_404(api, flows, method, url, body):
    assert_problem(getattr(api, method)(url, body, format="json"), 404, "not-found")
    assert not Trigger.objects.filter(disabled=True).exists()


@pytest.mark.parametrize(
    ("method", "url", "path"),
    [
        ("get", "/api/v1/triggers/search?filters[namespace][CONTAINS]=acme", "filters[namespace][CONTAINS]"),
        ("get", "/api/v1/triggers/search?filters[cron][EQUALS]=x", "filters[cron][EQUALS]"),
        ("get", "/api/v1/triggers/acme/nightly?size=0", "size"),
        ("post", "/api/v1/triggers/set-disabled/by-query?disabled=perhaps", "disabled"),
    ],
)
def test_a_bad_query_is_400_naming_the_parameter(api, flows, method, url, path):
    problem = assert_problem(getattr(api, method)(url), 400, problem_slug(url))
    assert [error["path"] for error in problem["errors"]] == [path]
    assert not Trigger.objects.filter(disabled=True).exists()


def test_a_sort_on_an_unknown_field_is_422_naming_it(api, flows):
    problem = assert_problem(api.get("/api/v1/triggers/search?sort=cron:asc"), 422, "invalid-sort")
    assert [error["path"] for error in problem["errors"]] == ["sort"]


def problem_slug(url: str) -> str:
    return "invalid-query-filters" if "filters[" in url else "invalid-query-parameter"


def test_set_disabled_by_triggers_needs_triggers_and_the_state(api, flows):
    url = "/api/v1/triggers/set-disabled/by-triggers"
    problem = assert_problem(
        api.post(url, {"triggers": [], "disabled": True}, format="json"), 400, "invalid-query-parameter"
    )
    assert [error["path"] for error in problem["errors"]] == ["triggers"]
    body = {"triggers": [{"namespace": "acme", "flowId": "nightly"}]}
    problem = assert_problem(api.post(url, body, format="json"), 400, "invalid-query-parameter")
    assert sorted(error["path"] for error in problem["errors"]) == ["disabled", "triggers.0.triggerId"]
    assert not Trigger.objects.filter(disabled=True).exists()


def test_the_admin_lists_triggers_and_disables_the_selected_ones(flows):
    get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client = Client()
    client.login(username="root", password="pw-for-tests")
    assert "nightly" in client.get("/admin/executions/trigger/?disabled__exact=0").content.decode()
    chosen = Trigger.objects.filter(flow_id="nightly").values_list("pk", flat=True)
    form = {"action": "disable", "_selected_action": [str(pk) for pk in chosen]}
    assert client.post("/admin/executions/trigger/", form).status_code == 302
    assert sorted(Trigger.objects.filter(disabled=True).values_list("flow_id", flat=True)) == ["nightly", "nightly"]
    page = client.get(f"/admin/executions/trigger/{chosen[0]}/change/")
    assert page.status_code == 200 and 'name="disabled"' in page.content.decode()


def test_a_deleted_schedule_starts_afresh_from_its_next_date_after_now_and_keeps_firing(api, flows):
    schedule_tick(now=at("2026-01-01T07:59:00"))
    schedule_tick(now=at("2026-01-01T08:00:01"))
    disable = {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly", "disabled": True}
    assert api.put("/api/v1/triggers/set-disabled", disable, format="json").status_code == 200
    response = api.delete("/api/v1/main/triggers/acme/nightly/hourly")
    assert response.status_code == 204 and not response.content
    row = Trigger.objects.get(flow_id="nightly", trigger_id="hourly")
    assert (row.disabled, row.next_date, row.last_date, row.last_execution_id) == (False, None, None, "")
    schedule_tick(now=at("2026-01-01T10:30:00"))  # 09:00 and 10:00 are forgotten, not caught up
    assert Trigger.objects.get(flow_id="nightly", trigger_id="hourly").next_date == at("2026-01-01T11:00:00")
    before = Execution.objects.filter(flow_id="nightly").count()
    schedule_tick(now=at("2026-01-01T11:00:01"))
    assert Execution.objects.filter(flow_id="nightly").count() == before + 1


def test_delete_by_triggers_and_by_query_count_what_they_reset(api, flows):
    Trigger.objects.update(disabled=True)
    refs = [
        {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly"},
        {"namespace": "acme", "flowId": "nightly", "triggerId": "nope"},
    ]
    assert api.delete("/api/v1/triggers/delete/by-triggers", refs, format="json").json() == {"count": 1}
    assert list(Trigger.objects.filter(disabled=False).values_list("flow_id", "trigger_id")) == [("nightly", "hourly")]
    url = "/api/v1/triggers/delete/by-query"
    assert api.delete(f"{url}?filters[namespace][EQUALS]=acme.sales").json() == {"count": 2}
    body = {"filters": [{"field": "flowId", "operation": "EQUALS", "value": "other"}]}
    assert api.delete(url, body, format="json").json() == {"count": 2}
    assert list(Trigger.objects.filter(disabled=True).values_list("flow_id", "trigger_id")) == [("nightly", "hook")]


def test_set_disabled_disables_and_enables_one_trigger(api, flows):
    body = {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly", "disabled": True}
    response = api.put("/api/v1/main/triggers/set-disabled", body, format="json")
    assert (response.status_code, response.json()["disabled"]) == (200, True)
    body |= {"disabled": False, "recoverMissedSchedules": False}
    assert api.put("/api/v1/triggers/set-disabled", body, format="json").json()["disabled"] is False


@pytest.mark.parametrize(
    ("method", "url", "body", "path"),
    [
        ("put", "/api/v1/triggers/set-disabled", {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly"},
         "disabled"),
        ("put", "/api/v1/triggers/set-disabled", {"namespace": "acme", "flowId": "nightly", "disabled": True},
         "triggerId"),
        ("put", "/api/v1/triggers/set-disabled",
         {"namespace": "acme", "flowId": "nightly", "triggerId": "hourly", "disabled": False,
          "recoverMissedSchedules": True}, "recoverMissedSchedules"),
        ("delete", "/api/v1/triggers/delete/by-triggers", [{"namespace": "acme", "flowId": "nightly"}],
         "0.triggerId"),
        ("delete", "/api/v1/triggers/delete/by-query", {"filters": [{"field": "flowId", "value": "x"}]},
         "filters.0.operation"),
    ],
)  # fmt: skip
def test_a_bad_delete_or_set_disabled_body_names_the_field_and_changes_nothing(api, flows, method, url, body, path):
    Trigger.objects.update(disabled=True)
    problem = assert_problem(getattr(api, method)(url, body, format="json"), 400, "invalid-query-parameter")
    assert [error["path"] for error in problem["errors"]] == [path]
    assert not Trigger.objects.filter(disabled=False).exists()


def test_a_body_filter_on_an_unknown_field_is_400_naming_it(api, flows):
    body = {"filters": [{"field": "cron", "operation": "EQUALS", "value": "x"}]}
    problem = assert_problem(
        api.delete("/api/v1/triggers/delete/by-query", body, format="json"), 400, "invalid-query-filters"
    )
    assert [error["path"] for error in problem["errors"]] == ["filters[cron][EQUALS]"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("delete", "/api/v1/triggers/acme/nightly/nope", None),
        ("delete", "/api/v1/triggers/acme/nope/hourly", None),
        ("put", "/api/v1/triggers/set-disabled", {"namespace": "acme", "flowId": "nightly", "triggerId": "nope",
                                                  "disabled": True}),
    ],
)  # fmt: skip
def test_deleting_or_disabling_an_unknown_trigger_is_404(api, flows, method, url, body):
    Trigger.objects.update(disabled=True)
    assert_problem(getattr(api, method)(url, body, format="json"), 404, "not-found")
    assert not Trigger.objects.filter(disabled=False).exists()
