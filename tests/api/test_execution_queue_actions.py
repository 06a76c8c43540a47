"""Ending an execution's wait by hand: unqueue (a queued one leaves its flow's concurrency queue, started or ended)
and force-run (a created, queued or paused one runs now), on Kestra's 1.x and 2.0 paths and in bulk."""

import pytest

from audit.models import AuditEntry
from executions import executor
from executions.dispatch import ADVANCE
from executions.models import Execution, TaskRun
from flowhub.engine.states import TERMINAL, State

from .broker import Broker
from .clients import error_paths, member
from .drive import drive_until, run_to_end, run_until
from .helpers import YAML, assert_problem

LIMITED = """\
id: limited
namespace: {namespace}
concurrency:
  limit: 1
  behavior: QUEUE
tasks:
  - id: work
    type: io.kestra.plugin.core.log.Log
    message: working
"""
ASKING = """\
id: asking
namespace: acme.sales
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: reason
        type: STRING
"""
LATER = "scheduleDate=2099-01-01T00:00:00Z"


@pytest.fixture
def flows(api):
    for source in (LIMITED.format(namespace="acme.sales"), LIMITED.format(namespace="acme.other"), ASKING):
        assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200


@pytest.fixture
def broker(django_capture_on_commit_callbacks):
    return Broker(django_capture_on_commit_callbacks)


def created(api, flow_path: str = "acme.sales/limited", query: str = "") -> str:
    """An execution that stays CREATED: nothing drives it."""
    return api.post(f"/api/v1/executions/{flow_path}?{query}", {}, format="multipart").json()["id"]


def advanced(api, flow_path: str = "acme.sales/limited") -> str:
    """An execution the executor has looked at once: RUNNING if its flow had a slot for it, else QUEUED."""
    execution_id = created(api, flow_path)
    executor.execution_advance(execution_id=execution_id)
    return execution_id


def running_and_queued(api, flow_path: str = "acme.sales/limited", queued: int = 1) -> tuple[str, list[str]]:
    """One execution of the limited flow holding its only slot, and `queued` waiting for it, oldest first."""
    first = advanced(api, flow_path)
    waiting = [advanced(api, flow_path) for _ in range(queued)]
    assert states(first, *waiting) == ["RUNNING"] + ["QUEUED"] * queued
    return first, waiting


def ended(api, flow_path: str = "acme.sales/limited") -> str:
    execution_id = created(api, flow_path)
    assert run_to_end(execution_id).state == "SUCCESS"
    return execution_id


def states(*execution_ids: str) -> list[str]:
    by_id = dict(Execution.objects.filter(pk__in=execution_ids).values_list("id", "state"))
    return [by_id[execution_id] for execution_id in execution_ids]


def history(execution_id: str) -> list[str]:
    return [entry["state"] for entry in Execution.objects.get(pk=execution_id).state_history]


def all_ended() -> bool:
    return not Execution.objects.exclude(state__in=[state.value for state in TERMINAL]).exists()


@pytest.mark.parametrize("action", ["unqueue", "actions/unqueue"])
def test_unqueue_starts_a_queued_execution_now_past_the_limit_and_it_runs_to_the_end(api, flows, broker, action):
    first, (second,) = running_and_queued(api)

    with broker.capture(execute=True):
        response = api.post(f"/api/v1/main/executions/{second}/{action}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["state"]["current"]) == (second, "RUNNING")
    assert [entry["state"] for entry in body["state"]["histories"]] == ["CREATED", "QUEUED", "RUNNING"]
    assert broker.deliver(ADVANCE) == [second], "the executor is sent to it once the change is committed"
    assert states(first, second) == ["RUNNING", "RUNNING"], "two at once: past the limit of 1"
    assert TaskRun.objects.filter(execution_id=second, task_id="work").exists()
    drive_until(all_ended)
    assert states(first, second) == ["SUCCESS", "SUCCESS"]
    assert history(second) == ["CREATED", "QUEUED", "RUNNING", "SUCCESS"]


@pytest.mark.parametrize("state", ["CANCELLED", "FAILED"])
def test_unqueue_as_an_end_ends_it_without_running_and_the_queue_moves_on(api, flows, owner, state):
    first, (second, third) = running_and_queued(api, queued=2)

    response = api.post(f"/api/v1/executions/{second}/unqueue?state={state}")

    assert response.status_code == 200, response.content
    assert response.json()["state"]["current"] == state and "endDate" in response.json()["state"]
    assert history(second) == ["CREATED", "QUEUED", state]
    drive_until(all_ended)
    assert states(first, second, third) == ["SUCCESS", state, "SUCCESS"]
    assert not TaskRun.objects.filter(execution_id=second).exists()
    entry = AuditEntry.objects.get(action="execution.unqueue")
    assert (entry.namespace, entry.target, entry.actor, entry.detail) == (
        "acme.sales",
        second,
        owner,
        {"state": state},
    )


def test_only_a_queued_execution_can_be_unqueued_and_an_unknown_one_is_404(api, flows):
    first, _ = running_and_queued(api)
    done = ended(api, "acme.other/limited")
    for execution_id in (first, done):
        assert_problem(api.post(f"/api/v1/executions/{execution_id}/unqueue"), 409, "conflict")
    assert states(first, done) == ["RUNNING", "SUCCESS"]
    assert_problem(api.post("/api/v1/executions/nope/actions/unqueue"), 404, "not-found")
    assert not AuditEntry.objects.filter(action="execution.unqueue").exists()


@pytest.mark.parametrize(
    ("query", "status", "slug"),
    [
        ("state=SUCCESS", 422, "validation-failed"),
        ("state=KILLED", 422, "validation-failed"),
        ("state=QUEUED", 422, "validation-failed"),
        ("state=DONE", 400, "invalid-query-parameter"),
        ("state=running", 400, "invalid-query-parameter"),
    ],
)
def test_unqueue_takes_only_a_state_a_queued_execution_leaves_as(api, flows, query, status, slug):
    _, (second,) = running_and_queued(api)
    body = assert_problem(api.post(f"/api/v1/executions/{second}/unqueue?{query}"), status, slug)
    assert [error["path"] for error in body["errors"]] == ["state"]
    assert states(second) == ["QUEUED"]


@pytest.mark.parametrize("action", ["force-run", "actions/force-run"])
def test_force_run_starts_a_scheduled_execution_now_and_it_runs_to_the_end(api, flows, broker, action):
    later = created(api, query=LATER)
    executor.execution_advance(execution_id=later)
    assert states(later) == ["CREATED"], "it waits for its scheduleDate"

    with broker.capture(execute=True):
        response = api.post(f"/api/v1/main/executions/{later}/{action}")

    assert response.status_code == 200, response.content
    assert response.json()["state"]["current"] == "RUNNING"
    assert "startDate" in response.json()["state"]
    assert broker.sent(ADVANCE) == [later]
    assert run_to_end(later).state == "SUCCESS"
    assert history(later) == ["CREATED", "RUNNING", "SUCCESS"]


def test_force_run_starts_a_queued_execution_past_the_limit(api, flows):
    first, (second,) = running_and_queued(api)
    response = api.post(f"/api/v1/executions/{second}/force-run")
    assert response.status_code == 200, response.content
    assert states(first, second) == ["RUNNING", "RUNNING"]
    drive_until(all_ended)
    assert history(second) == ["CREATED", "QUEUED", "RUNNING", "SUCCESS"]


def test_a_forced_run_counts_as_running_when_the_flow_admits_the_next_ones(api, flows):
    first = advanced(api)
    forced = created(api)
    assert api.post(f"/api/v1/executions/{forced}/force-run").status_code == 200
    executor.execution_advance(execution_id=forced)  # its message: it runs, though the only slot is taken
    third = advanced(api)
    assert states(first, forced, third) == ["RUNNING", "RUNNING", "QUEUED"]

    assert run_to_end(first).state == "SUCCESS"
    executor.execution_advance(execution_id=third)
    assert states(third) == ["QUEUED"], "the forced one still holds a slot"

    assert run_to_end(forced).state == "SUCCESS"
    assert run_to_end(third).state == "SUCCESS"
    assert history(forced) == ["CREATED", "RUNNING", "SUCCESS"]
    assert history(third) == ["CREATED", "QUEUED", "RUNNING", "SUCCESS"]


def test_force_run_resumes_a_paused_execution_and_is_recorded_as_such(api, flows, owner):
    paused = advanced(api)
    assert api.post(f"/api/v1/executions/{paused}/pause").status_code == 204

    response = api.post(f"/api/v1/executions/{paused}/actions/force-run")

    assert response.status_code == 200, response.content
    assert response.json()["state"]["current"] == "RUNNING"
    assert run_to_end(paused).state == "SUCCESS"
    assert list(AuditEntry.objects.filter(target=paused).values_list("action", flat=True)) == [
        "execution.force_run",
        "execution.pause",
        "execution.create",
    ], "not recorded as a resume"
    assert AuditEntry.objects.get(action="execution.force_run").actor == owner


def test_force_run_does_not_resume_a_pause_waiting_for_inputs_without_defaults(api, flows):
    asking = created(api, "acme.sales/asking")
    run_until(asking, frozenset({State.PAUSED}))
    body = assert_problem(api.post(f"/api/v1/executions/{asking}/force-run"), 422, "validation-failed")
    assert [(error["path"], error["detail"]) for error in body["errors"]] == [
        ("inputs.reason", "missing required input")
    ]
    assert states(asking) == ["PAUSED"]


def test_force_run_of_a_running_execution_sends_it_to_the_executor_again_as_it_is(api, flows, broker):
    first = advanced(api)
    before = Execution.objects.get(pk=first).state_history
    with broker.capture(execute=True):
        response = api.post(f"/api/v1/executions/{first}/force-run")
    assert response.status_code == 200 and response.json()["state"]["current"] == "RUNNING"
    assert Execution.objects.get(pk=first).state_history == before
    assert broker.sent(ADVANCE) == [first]


def test_an_ended_execution_cannot_be_forced_and_an_unknown_one_is_404(api, flows):
    done = ended(api)
    assert_problem(api.post(f"/api/v1/executions/{done}/force-run"), 409, "conflict")
    assert history(done) == ["CREATED", "RUNNING", "SUCCESS"]
    assert_problem(api.post("/api/v1/main/executions/nope/actions/force-run"), 404, "not-found")
    assert not AuditEntry.objects.filter(action="execution.force_run").exists()


@pytest.mark.parametrize("action", ["unqueue", "actions/unqueue", "force-run", "actions/force-run"])
def test_out_of_sight_it_does_not_exist_and_a_viewer_may_not(api, flows, action):
    _, (second,) = running_and_queued(api)
    outsider = member("outsider", {"acme.other": "executor"})
    assert_problem(outsider.post(f"/api/v1/executions/{second}/{action}"), 404, "not-found")
    viewer = member("viewer", {"acme.sales": "viewer"})
    assert_problem(viewer.post(f"/api/v1/executions/{second}/{action}"), 403, "forbidden")
    assert states(second) == ["QUEUED"]


def test_unqueue_by_ids_takes_out_the_queued_ones_listed_in_the_state_given(api, flows):
    running, (queued,) = running_and_queued(api)
    _, (other_queued,) = running_and_queued(api, "acme.other/limited")
    response = api.post(
        "/api/v1/executions/unqueue/by-ids?state=CANCELLED", [queued, other_queued, running, "ghost"], format="json"
    )
    assert response.json() == {"count": 2}
    assert states(queued, other_queued, running) == ["CANCELLED", "CANCELLED", "RUNNING"]


def test_unqueue_by_ids_starts_them_by_default_and_leaves_out_those_out_of_reach(api, flows):
    _, (mine,) = running_and_queued(api)
    _, (theirs,) = running_and_queued(api, "acme.other/limited")
    viewer = member("vic", {"acme": "viewer"})
    assert viewer.post("/api/v1/executions/unqueue/by-ids", [mine, theirs], format="json").json() == {"count": 0}
    ada = member("ada", {"acme.sales": "executor"})
    response = ada.post("/api/v1/main/executions/unqueue/by-ids", [mine, theirs], format="json")
    assert response.json() == {"count": 1}
    assert states(mine, theirs) == ["RUNNING", "QUEUED"]
    drive_until(lambda: states(mine) == ["SUCCESS"])


def test_unqueue_by_query_takes_out_the_queued_ones_the_filters_select_as_new_state(api, flows):
    first, (queued, also_queued) = running_and_queued(api, queued=2)
    _, (other_queued,) = running_and_queued(api, "acme.other/limited")
    outsider = member("outsider", {"acme.other": "executor"})
    selects_sales = "filters[namespace][EQUALS]=acme.sales"
    response = outsider.post(f"/api/v1/executions/unqueue/by-query?newState=FAILED&{selects_sales}")
    assert response.json() == {"count": 0}

    response = api.post(f"/api/v1/executions/unqueue/by-query?newState=FAILED&{selects_sales}")

    assert response.json() == {"count": 2}
    assert states(first, queued, also_queued, other_queued) == ["RUNNING", "FAILED", "FAILED", "QUEUED"]
    response = api.post("/api/v1/executions/unqueue/by-query?filters[namespace][EQUALS]=acme.other")
    assert response.json() == {"count": 1}
    assert states(other_queued) == ["RUNNING"], "RUNNING when no newState is given"


@pytest.mark.parametrize(
    ("path", "query", "status", "parameter"),
    [
        ("by-ids", "state=SUCCESS", 422, "state"),
        ("by-ids", "state=nope", 400, "state"),
        ("by-query", "newState=KILLED&filters[namespace][EQUALS]=acme.sales", 422, "newState"),
        ("by-query", "state=FAILED&filters[namespace][EQUALS]=acme.sales", 400, "state"),
        ("by-query", "newState=FAILED", 400, "filters"),
    ],
)
def test_bulk_unqueue_refuses_a_bad_state_or_query_naming_it(api, flows, path, query, status, parameter):
    _, (queued,) = running_and_queued(api)
    response = api.post(f"/api/v1/executions/unqueue/{path}?{query}", [queued], format="json")
    assert response.status_code == status, response.content
    assert error_paths(response) == [parameter]
    assert states(queued) == ["QUEUED"]


def test_force_run_by_ids_runs_those_listed_that_have_not_ended(api, flows):
    running, (queued,) = running_and_queued(api)
    later, done = created(api, query=LATER), ended(api, "acme.other/limited")
    response = api.post("/api/v1/executions/force-run/by-ids", [later, queued, running, done, "ghost"], format="json")
    assert response.json() == {"count": 3}
    assert states(later, queued, running, done) == ["RUNNING", "RUNNING", "RUNNING", "SUCCESS"]
    drive_until(all_ended)
    assert states(later, queued, running) == ["SUCCESS"] * 3


def test_force_run_by_query_runs_the_waiting_ones_the_filters_select_within_reach(api, flows):
    running, (queued,) = running_and_queued(api)
    later = created(api, query=LATER)
    paused = created(api, "acme.sales/limited", LATER)
    assert api.post(f"/api/v1/executions/{paused}/force-run").status_code == 200
    assert api.post(f"/api/v1/executions/{paused}/pause").status_code == 204
    other_later = created(api, "acme.other/limited", LATER)
    ada = member("ada", {"acme.sales": "executor"})

    response = ada.post("/api/v1/executions/force-run/by-query?filters[namespace][PREFIX]=acme")

    assert response.json() == {"count": 3}, "the created, the queued and the paused one; not the running one"
    assert states(running, queued, later, paused, other_later) == ["RUNNING"] * 4 + ["CREATED"]
    assert_problem(api.post("/api/v1/executions/force-run/by-query"), 400, "invalid-query-filters")
