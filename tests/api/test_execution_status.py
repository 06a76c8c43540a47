"""Changing the status of ended executions: one on Kestra's 1.x and 2.0 paths, several by ids or by query."""

import pytest

from audit.models import AuditEntry
from executions.models import Execution, TaskRun
from tests.engine.flows import HELLO

from .clients import error_paths, member
from .drive import run_to_end
from .helpers import YAML, assert_problem, flow

OTHER = flow("other", "acme.other")


@pytest.fixture
def hello(api):
    assert api.post("/api/v1/flows", HELLO, content_type=YAML).status_code == 200
    assert api.post("/api/v1/flows", OTHER, content_type=YAML).status_code == 200


def started(api, flow_path: str = "acme.sales/hello") -> str:
    """An execution that stays CREATED: nothing drives it."""
    return api.post(f"/api/v1/executions/{flow_path}", {}, format="multipart").json()["id"]


def ended(api, flow_path: str = "acme.sales/hello") -> str:
    execution_id = started(api, flow_path)
    assert run_to_end(execution_id).state == "SUCCESS"
    return execution_id


def states(*execution_ids: str) -> list[str]:
    by_id = dict(Execution.objects.filter(pk__in=execution_ids).values_list("id", "state"))
    return [by_id[execution_id] for execution_id in execution_ids]


@pytest.mark.parametrize("action", ["change-status", "actions/change-status"])
def test_an_ended_execution_takes_another_end_and_answers_it(api, hello, action):
    execution_id = ended(api)
    runs = list(TaskRun.objects.filter(execution_id=execution_id).values_list("task_id", "state"))

    response = api.post(f"/api/v1/main/executions/{execution_id}/{action}?status=FAILED")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["state"]["current"]) == (execution_id, "FAILED")
    history = body["state"]["histories"]
    assert [entry["state"] for entry in history] == ["CREATED", "RUNNING", "SUCCESS", "FAILED"]
    assert body["state"]["endDate"] == history[-1]["date"]
    assert list(TaskRun.objects.filter(execution_id=execution_id).values_list("task_id", "state")) == runs
    assert body["outputs"] == {"shout": "WORLD"}, "only its state changes"
    found = api.get("/api/v1/executions/search?filters[state][EQUALS]=FAILED").json()
    assert [item["id"] for item in found["results"]] == [execution_id]


def test_the_change_is_recorded_once_and_the_same_state_again_changes_nothing(api, hello, owner):
    execution_id = ended(api)
    assert api.post(f"/api/v1/executions/{execution_id}/change-status?status=WARNING").status_code == 200
    history = Execution.objects.get(pk=execution_id).state_history

    again = api.post(f"/api/v1/executions/{execution_id}/change-status?status=WARNING")

    assert again.status_code == 200 and again.json()["state"]["current"] == "WARNING"
    assert Execution.objects.get(pk=execution_id).state_history == history
    entry = AuditEntry.objects.get(action="execution.status")
    assert (entry.action, entry.namespace, entry.target, entry.actor) == (
        "execution.status",
        "acme.sales",
        execution_id,
        owner,
    )
    assert entry.detail == {"previous": "SUCCESS", "state": "WARNING"}


@pytest.mark.parametrize(
    ("query", "status", "slug"),
    [
        ("status=RUNNING", 422, "validation-failed"),
        ("status=RETRIED", 422, "validation-failed"),
        ("status=SKIPPED", 422, "validation-failed"),
        ("status=DONE", 400, "invalid-query-parameter"),
        ("status=", 400, "invalid-query-parameter"),
        ("", 400, "invalid-query-parameter"),
    ],
)
def test_the_target_must_be_an_end_named_by_the_status_parameter(api, hello, query, status, slug):
    execution_id = ended(api)
    body = assert_problem(api.post(f"/api/v1/executions/{execution_id}/change-status?{query}"), status, slug)
    assert [error["path"] for error in body["errors"]] == ["status"]
    assert states(execution_id) == ["SUCCESS"]


def test_an_execution_that_has_not_ended_is_409_and_an_unknown_one_404(api, hello):
    execution_id = started(api)
    assert_problem(api.post(f"/api/v1/executions/{execution_id}/change-status?status=FAILED"), 409, "conflict")
    assert states(execution_id) == ["CREATED"]
    assert_problem(api.post("/api/v1/executions/nope/actions/change-status?status=FAILED"), 404, "not-found")


def test_out_of_sight_it_does_not_exist_and_a_viewer_may_not(api, hello):
    execution_id = ended(api)
    outsider = member("outsider", {"acme.other": "executor"})
    assert_problem(outsider.post(f"/api/v1/executions/{execution_id}/change-status?status=FAILED"), 404, "not-found")
    viewer = member("viewer", {"acme.sales": "viewer"})
    assert_problem(viewer.post(f"/api/v1/executions/{execution_id}/change-status?status=FAILED"), 403, "forbidden")
    assert states(execution_id) == ["SUCCESS"]


def test_by_ids_changes_the_ended_executions_listed_and_counts_them(api, hello):
    done, other_done, running = ended(api), ended(api, "acme.other/other"), started(api)
    response = api.post(
        "/api/v1/executions/change-status/by-ids?newStatus=KILLED", [done, other_done, running, "ghost"], format="json"
    )
    assert response.json() == {"count": 2}
    assert states(done, other_done, running) == ["KILLED", "KILLED", "CREATED"]


def test_by_ids_leaves_out_the_executions_out_of_the_caller_s_reach(api, hello):
    mine, theirs = ended(api), ended(api, "acme.other/other")
    executor = member("ada", {"acme.sales": "executor"})
    response = executor.post("/api/v1/executions/change-status/by-ids?newStatus=FAILED", [mine, theirs], format="json")
    assert response.json() == {"count": 1}
    assert states(mine, theirs) == ["FAILED", "SUCCESS"]
    viewer = member("vic", {"acme": "viewer"})
    response = viewer.post("/api/v1/executions/change-status/by-ids?newStatus=WARNING", [mine, theirs], format="json")
    assert response.json() == {"count": 0}
    assert states(mine, theirs) == ["FAILED", "SUCCESS"]


@pytest.mark.parametrize(
    ("query", "body", "status", "path"),
    [
        ("newStatus=CREATED", ["x"], 422, "newStatus"),
        ("newStatus=nope", ["x"], 400, "newStatus"),
        ("status=FAILED", ["x"], 400, "newStatus"),
        ("newStatus=FAILED", {"ids": ["x"]}, 400, "$"),
        ("newStatus=FAILED", ["x" * 23], 400, "0"),
    ],
)
def test_by_ids_refuses_a_bad_status_or_body(api, hello, query, body, status, path):
    execution_id = ended(api)
    response = api.post(f"/api/v1/executions/change-status/by-ids?{query}", body, format="json")
    assert response.status_code == status, response.content
    assert path in error_paths(response)
    assert states(execution_id) == ["SUCCESS"]


def test_by_query_changes_what_the_filters_select_and_has_ended(api, hello):
    done, again, running, other_done = ended(api), ended(api), started(api), ended(api, "acme.other/other")
    assert api.post(f"/api/v1/executions/{again}/change-status?status=CANCELLED").status_code == 200

    response = api.post(
        "/api/v1/main/executions/change-status/by-query?newStatus=CANCELLED&filters[namespace][EQUALS]=acme.sales"
    )

    assert response.json() == {"count": 1}, "the one already CANCELLED is not counted again"
    assert states(done, again, running, other_done) == ["CANCELLED", "CANCELLED", "CREATED", "SUCCESS"]


def test_by_query_filters_by_the_caller_s_namespaces_and_needs_filters(api, hello):
    mine, theirs = ended(api), ended(api, "acme.other/other")
    executor = member("ada", {"acme.sales": "executor"})
    everything = "/api/v1/executions/change-status/by-query?newStatus=FAILED&filters[namespace][PREFIX]=acme"
    assert executor.post(everything).json() == {"count": 1}
    assert states(mine, theirs) == ["FAILED", "SUCCESS"]
    for query, path in [("", "filters"), ("&namespace=acme", "namespace")]:
        response = api.post(f"/api/v1/executions/change-status/by-query?newStatus=FAILED{query}")
        assert_problem(response, 400, "invalid-query-filters")
        assert error_paths(response) == [path]
    assert states(theirs) == ["SUCCESS"]
