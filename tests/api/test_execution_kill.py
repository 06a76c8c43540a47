"""Killing executions on Kestra's 1.x and 2.0 paths: what was not started never starts."""

import pytest

from executions import executor, worker
from executions.models import Execution, TaskRun
from executions.transitions import task_run_transition
from flowhub.engine.states import State
from tests.engine.flows import HELLO

from .drive import run_to_end
from .helpers import YAML, assert_problem


@pytest.fixture
def execution_id(api) -> str:
    assert api.post("/api/v1/flows", HELLO, content_type=YAML).status_code == 200
    return api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]


def claimed(execution_id: str) -> TaskRun:
    """The first task run, claimed by a worker that is still running it."""
    executor.execution_advance(execution_id=execution_id)
    run = TaskRun.objects.get(execution_id=execution_id)
    assert task_run_transition(run, State.RUNNING)
    return run


def test_a_created_execution_is_killed_at_once(api, execution_id):
    response = api.delete(f"/api/v1/executions/{execution_id}/kill")
    assert response.status_code == 202 and not response.content
    execution = Execution.objects.get(pk=execution_id)
    assert execution.state == "KILLED" and [entry["state"] for entry in execution.state_history] == [
        "CREATED",
        "KILLED",
    ]
    executor.execution_advance(execution_id=execution_id)
    assert not TaskRun.objects.exists()


def test_a_task_not_yet_started_never_starts(api, execution_id):
    executor.execution_advance(execution_id=execution_id)
    body = api.delete(f"/api/v1/main/executions/{execution_id}/actions/kill").json()
    assert body["state"]["current"] in ("KILLING", "KILLED")
    assert run_to_end(execution_id).state == "KILLED"
    assert list(TaskRun.objects.values_list("task_id", "state")) == [("greet", "KILLED")]


def test_a_running_task_ends_killed_when_its_worker_finishes(api, execution_id):
    run = claimed(execution_id)
    assert api.delete(f"/api/v1/executions/{execution_id}/kill").status_code == 202
    assert Execution.objects.get(pk=execution_id).state == "KILLING"
    executor.execution_advance(execution_id=execution_id)
    assert Execution.objects.get(pk=execution_id).state == "KILLING"  # its worker is still on the task
    run.refresh_from_db()
    assert run.state == "KILLING"
    worker.end_killed(run)  # what the worker does when its result finds the run killed
    executor.execution_advance(execution_id=execution_id)
    assert Execution.objects.get(pk=execution_id).state == "KILLED"
    assert not TaskRun.objects.filter(task_id="answer").exists()


def test_killing_an_ended_execution_is_409_and_an_unknown_one_404(api, execution_id):
    run_to_end(execution_id)
    assert_problem(api.delete(f"/api/v1/executions/{execution_id}/kill"), 409, "conflict")
    assert_problem(api.delete(f"/api/v1/main/executions/{execution_id}/actions/kill"), 409, "conflict")
    assert_problem(api.delete("/api/v1/executions/nope/kill"), 404, "not-found")


def test_bulk_kill_counts_the_executions_it_killed(api, execution_id):
    other = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    run_to_end(other)
    response = api.delete("/api/v1/executions/kill/by-ids", [execution_id, other, "ghost"], format="json")
    assert response.json() == {"count": 1}
    assert Execution.objects.get(pk=execution_id).state == "KILLED"
