"""Pausing a running execution at the next task boundary and resuming it, on Kestra's 1.x and 2.0 paths."""

import pytest

from executions import executor, worker
from executions.models import Execution, TaskRun
from tests.engine.flows import HELLO

from .drive import run_to_end
from .helpers import YAML, assert_problem


@pytest.fixture
def running(api) -> str:
    """An execution whose first task a worker has just finished: the executor has not moved on yet."""
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    worker.task_run_execute(task_run_id=TaskRun.objects.get(task_id="greet").id, worker_id="w")
    return execution_id


def test_a_paused_execution_starts_nothing_new_until_resumed(api, running):
    response = api.post(f"/api/v1/executions/{running}/pause")
    assert response.status_code == 204 and not response.content
    executor.execution_advance(execution_id=running)
    assert Execution.objects.get(pk=running).state == "PAUSED"
    assert not TaskRun.objects.filter(task_id="answer").exists()
    assert api.post(f"/api/v1/executions/{running}/resume").status_code == 204
    execution = run_to_end(running)
    assert execution.state == "SUCCESS"
    assert [entry["state"] for entry in execution.state_history] == [
        "CREATED",
        "RUNNING",
        "PAUSED",
        "RUNNING",
        "SUCCESS",
    ]


def test_the_2_0_paths_answer_the_execution(api, running):
    paused = api.post(f"/api/v1/main/executions/{running}/actions/pause")
    assert paused.status_code == 200 and paused.json()["state"]["current"] == "PAUSED"
    resumed = api.post(f"/api/v1/main/executions/{running}/actions/resume")
    assert resumed.status_code == 200 and resumed.json()["state"]["current"] == "RUNNING"


def test_pause_and_resume_need_the_right_state(api, running):
    body = assert_problem(api.post(f"/api/v1/executions/{running}/resume"), 409, "conflict")
    assert "only a paused execution can be resumed" in body["detail"]
    run_to_end(running)
    assert_problem(api.post(f"/api/v1/executions/{running}/pause"), 409, "conflict")
    assert_problem(api.post("/api/v1/executions/nope/pause"), 404, "not-found")


def test_a_paused_execution_can_be_killed(api, running):
    api.post(f"/api/v1/executions/{running}/pause")
    assert api.delete(f"/api/v1/executions/{running}/kill").status_code == 202
    assert run_to_end(running).state == "KILLED"
