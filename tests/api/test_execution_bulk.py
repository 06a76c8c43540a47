"""Pausing, resuming, replaying and labelling several executions at once, by ids or by query: each as its single
action would, those out of reach or in the wrong state left out of the count."""

import pytest

from executions import executor
from executions.models import Execution
from flowhub.engine.states import State
from tests.engine.flows import HELLO

from .clients import error_paths, member
from .drive import run_to_end, run_until
from .helpers import YAML, assert_problem, flow

OTHER = flow("other", "acme.other")
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


@pytest.fixture
def flows(api):
    for source in (HELLO, OTHER, ASKING):
        assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200


def started(api, flow_path: str = "acme.sales/hello") -> str:
    """An execution that stays CREATED: nothing drives it."""
    return api.post(f"/api/v1/executions/{flow_path}", {}, format="multipart").json()["id"]


def running(api, flow_path: str = "acme.sales/hello") -> str:
    execution_id = started(api, flow_path)
    executor.execution_advance(execution_id=execution_id)
    assert Execution.objects.get(pk=execution_id).state == "RUNNING"
    return execution_id


def paused(api, flow_path: str = "acme.sales/hello") -> str:
    execution_id = running(api, flow_path)
    assert api.post(f"/api/v1/executions/{execution_id}/pause").status_code == 204
    return execution_id


def ended(api, flow_path: str = "acme.sales/hello") -> str:
    execution_id = started(api, flow_path)
    assert run_to_end(execution_id).state == "SUCCESS"
    return execution_id


def states(*execution_ids: str) -> list[str]:
    by_id = dict(Execution.objects.filter(pk__in=execution_ids).values_list("id", "state"))
    return [by_id[execution_id] for execution_id in execution_ids]


def labels(execution_id: str) -> dict[str, str]:
    return {label["key"]: label["value"] for label in Execution.objects.get(pk=execution_id).labels}


def test_pause_by_ids_pauses_the_running_ones_listed(api, flows):
    on, waiting, other = running(api), started(api), running(api, "acme.other/other")
    response = api.post("/api/v1/main/executions/pause/by-ids", [on, waiting, other, "ghost"], format="json")
    assert response.json() == {"count": 2}
    assert states(on, waiting, other) == ["PAUSED", "CREATED", "PAUSED"]


def test_pause_by_query_pauses_the_running_ones_the_filters_select(api, flows):
    on, waiting, other = running(api), started(api), running(api, "acme.other/other")
    response = api.post("/api/v1/executions/pause/by-query?filters[namespace][EQUALS]=acme.sales")
    assert response.json() == {"count": 1}
    assert states(on, waiting, other) == ["PAUSED", "CREATED", "RUNNING"]


def test_resume_by_ids_resumes_the_paused_ones_but_those_waiting_for_inputs(api, flows):
    held, on = paused(api), running(api)
    asking = started(api, "acme.sales/asking")
    run_until(asking, frozenset({State.PAUSED}))
    response = api.post("/api/v1/executions/resume/by-ids", [held, on, asking], format="json")
    assert response.json() == {"count": 1}
    assert states(held, on, asking) == ["RUNNING", "RUNNING", "PAUSED"]


def test_resume_by_query_resumes_the_paused_ones_the_filters_select(api, flows):
    held, other = paused(api), paused(api, "acme.other/other")
    response = api.post(
        "/api/v1/executions/resume/by-query?filters[flowId][IN]=hello,other&filters[namespace][PREFIX]=acme"
    )
    assert response.json() == {"count": 2}
    assert states(held, other) == ["RUNNING", "RUNNING"]


def test_replay_by_ids_starts_a_new_execution_of_each_ended_one_listed(api, flows):
    done, waiting = ended(api), started(api)
    response = api.post("/api/v1/executions/replay/by-ids", [done, waiting], format="json")
    assert response.json() == {"count": 1}
    (replay,) = Execution.objects.filter(original_id=done)
    assert (replay.flow_revision.revision, replay.parent_id) == (1, done)
    assert labels(done)["system.replayed"] == "true"


def test_replay_with_latest_revision_runs_the_flow_s_current_revision(api, flows):
    done = ended(api)
    changed = HELLO.replace("Greets someone.", "Greets.")
    assert api.put("/api/v1/flows/acme.sales/hello", changed, content_type=YAML).status_code == 200
    query = "latestRevision=true&filters[namespace][EQUALS]=acme.sales"
    assert api.post(f"/api/v1/executions/replay/by-query?{query}").json() == {"count": 1}
    (replay,) = Execution.objects.filter(original_id=done)
    assert replay.flow_revision.revision == 2
    bad = api.post("/api/v1/executions/replay/by-ids?latestRevision=maybe", [done], format="json")
    assert_problem(bad, 400, "invalid-query-parameter")
    assert error_paths(bad) == ["latestRevision"]


def test_the_bulk_routes_reach_only_the_caller_s_namespaces(api, flows):
    mine, theirs = running(api), running(api, "acme.other/other")
    ada = member("ada", {"acme.sales": "executor", "acme.other": "viewer"})
    assert ada.post("/api/v1/executions/pause/by-ids", [mine, theirs], format="json").json() == {"count": 1}
    everything = "filters[namespace][PREFIX]=acme"
    assert ada.post(f"/api/v1/executions/resume/by-query?{everything}").json() == {"count": 1}
    assert states(mine, theirs) == ["RUNNING", "RUNNING"]
    mine_done, theirs_done = ended(api), ended(api, "acme.other/other")
    assert ada.post(f"/api/v1/executions/replay/by-query?{everything}").json() == {"count": 1}
    assert Execution.objects.filter(original_id=mine_done).exists()
    assert not Execution.objects.filter(original_id=theirs_done).exists()


@pytest.mark.parametrize("route", ["pause", "resume", "replay"])
def test_the_bulk_routes_refuse_bad_bodies_and_queries(api, flows, route):
    execution_id = running(api)
    assert_problem(
        api.post(f"/api/v1/executions/{route}/by-ids", {"ids": [execution_id]}, format="json"),
        400,
        "invalid-query-parameter",
    )
    assert_problem(api.post(f"/api/v1/executions/{route}/by-query"), 400, "invalid-query-filters")
    assert_problem(api.post(f"/api/v1/executions/{route}/by-query?state=RUNNING"), 400, "invalid-query-filters")
    assert states(execution_id) == ["RUNNING"]
    assert not Execution.objects.exclude(pk=execution_id).exists()


def test_labels_by_ids_replace_the_labels_of_the_ended_ones_listed(api, flows):
    done, waiting, other = ended(api), started(api), ended(api, "acme.other/other")
    body = {"executionsId": [done, waiting, other], "executionLabels": [{"key": "batch", "value": "7"}]}
    response = api.post("/api/v1/executions/labels/by-ids", body, format="json")
    assert response.json() == {"count": 2}
    assert labels(done) == {"batch": "7", "system.correlationId": done}
    assert labels(other)["batch"] == "7"
    assert "batch" not in labels(waiting)


def test_labels_by_query_label_the_ended_ones_the_filters_select(api, flows):
    done, waiting, other = ended(api), started(api), ended(api, "acme.other/other")
    response = api.post(
        "/api/v1/executions/labels/by-query?filters[namespace][EQUALS]=acme.sales",
        [{"key": "batch", "value": "8"}],
        format="json",
    )
    assert response.json() == {"count": 1}
    assert (labels(done).get("batch"), labels(waiting).get("batch"), labels(other).get("batch")) == ("8", None, None)


def test_labels_in_bulk_reach_only_the_caller_s_namespaces(api, flows):
    mine, theirs = ended(api), ended(api, "acme.other/other")
    ada = member("ada", {"acme.sales": "executor", "acme.other": "viewer"})
    body = {"executionsId": [mine, theirs], "executionLabels": [{"key": "by", "value": "ada"}]}
    assert ada.post("/api/v1/executions/labels/by-ids", body, format="json").json() == {"count": 1}
    query = "/api/v1/executions/labels/by-query?filters[namespace][PREFIX]=acme"
    assert ada.post(query, [{"key": "by", "value": "ada2"}], format="json").json() == {"count": 1}
    assert (labels(mine)["by"], labels(theirs).get("by")) == ("ada2", None)


@pytest.mark.parametrize(
    ("route", "body", "status", "path"),
    [
        ("by-ids", {"executionsId": ["{done}"]}, 400, "executionLabels"),
        ("by-ids", {"executionLabels": [{"key": "a", "value": "b"}]}, 400, "executionsId"),
        ("by-ids", {"executionsId": ["x" * 23], "executionLabels": []}, 400, "executionsId.0"),
        ("by-ids", {"executionsId": ["{done}"], "executionLabels": [{"key": "a"}]}, 400, "executionLabels.0.value"),
        ("by-ids", {"executionsId": ["{done}"], "executionLabels": [{"key": "system.x", "value": "y"}]}, 422, "labels"),
        ("by-query?filters[namespace][EQUALS]=acme.sales", {"key": "a", "value": "b"}, 400, "$"),
        ("by-query?filters[namespace][EQUALS]=acme.sales", [{"key": "system.x", "value": "y"}], 422, "labels"),
        ("by-query", [{"key": "a", "value": "b"}], 400, "filters"),
    ],
)
def test_labels_in_bulk_refuse_bad_bodies_and_system_labels(api, flows, route, body, status, path):
    done = ended(api)
    if isinstance(body, dict) and "executionsId" in body:
        body = {**body, "executionsId": [item.format(done=done) for item in body["executionsId"]]}
    response = api.post(f"/api/v1/executions/labels/{route}", body, format="json")
    assert response.status_code == status, response.content
    assert path in error_paths(response)
    assert "a" not in labels(done) and "system.x" not in labels(done)
