"""Restarting an ended execution, replaying one as a new execution, and skipping a task run, on Kestra's 1.x and
2.0 paths; the executor and worker steps are called directly, as Celery would."""

import threading
import time

import pytest
from django.db import connection

from executions import executor, worker
from executions.heartbeat import Heartbeat
from executions.models import Execution, LogEntry, TaskRun
from executions.transitions import task_run_transition
from flowhub.engine.states import State
from tests.engine.flows import HELLO

from .drive import run_to_end
from .helpers import YAML, assert_problem

FLAKY = """\
id: flaky
namespace: acme
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "{{ execution.id }}"
  - id: gate
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ taskrun.attemptsCount < 1 }}"
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.first.value }} passed"
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    message: the gate failed
"""

CHAIN = """\
id: chain
namespace: acme
inputs:
  - id: who
    type: STRING
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "{{ execution.id }}"
  - id: second
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.first.value }} then {{ execution.id }} for {{ inputs.who }}"
  - id: third
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.second.value }}"
"""


def start(api, source: str, flow_id: str, **inputs: str) -> str:
    assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200
    return trigger(api, flow_id, **inputs)


def trigger(api, flow_id: str, **inputs: str) -> str:
    response = api.post(f"/api/v1/executions/acme/{flow_id}", inputs, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()["id"]


def runs(execution_id: str) -> dict[str, TaskRun]:
    return {run.task_id: run for run in TaskRun.objects.filter(execution_id=execution_id)}


def histories(execution: Execution) -> list[str]:
    return [entry["state"] for entry in execution.state_history]


def labels(body: dict) -> dict[str, str]:
    return {label["key"]: label["value"] for label in body["labels"]}


@pytest.fixture
def failed(api) -> str:
    execution_id = start(api, FLAKY, "flaky")
    assert run_to_end(execution_id).state == "FAILED"
    assert set(runs(execution_id)) == {"first", "gate", "alert"}
    return execution_id


def test_a_restart_runs_the_failed_task_again_in_the_same_execution_and_keeps_what_succeeded(api, failed):
    first = runs(failed)["first"]
    response = api.post(f"/api/v1/executions/{failed}/restart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["state"]["current"], body["metadata"]["attemptNumber"]) == (failed, "RESTARTED", 2)
    assert labels(body)["system.restarted"] == "true"
    assert {run["taskId"]: run["state"]["current"] for run in body["taskRunList"]} == {
        "first": "SUCCESS",
        "gate": "RESTARTED",
    }  # the errors handler's run is gone: it runs again if the gate fails again
    execution = run_to_end(failed)
    assert execution.state == "SUCCESS"
    assert histories(execution)[-4:] == ["FAILED", "RESTARTED", "RUNNING", "SUCCESS"]
    after = runs(failed)
    assert set(after) == {"first", "gate", "last"}
    assert (after["first"].id, after["first"].attempt, after["first"].outputs) == (first.id, 1, first.outputs)
    assert after["gate"].attempt == 2
    assert histories(after["gate"]) == ["CREATED", "RUNNING", "FAILED", "RESTARTED", "RUNNING", "SUCCESS"]
    assert after["last"].outputs == {"value": f"{failed} passed"}


def test_a_killed_execution_restarts_on_the_2_0_path(api):
    execution_id = start(api, HELLO.replace("namespace: acme.sales", "namespace: acme"), "hello")
    executor.execution_advance(execution_id=execution_id)
    api.delete(f"/api/v1/executions/{execution_id}/kill")
    assert run_to_end(execution_id).state == "KILLED"
    response = api.post(f"/api/v1/main/executions/{execution_id}/actions/restart")
    assert response.status_code == 200 and response.json()["state"]["current"] == "RESTARTED"
    assert run_to_end(execution_id).state == "SUCCESS"
    assert {task_id: (run.state, run.attempt) for task_id, run in runs(execution_id).items()} == {
        "greet": ("SUCCESS", 1),
        "answer": ("SUCCESS", 1),
    }


def test_a_restart_needs_an_ended_execution_with_something_to_run_again(api, failed):
    running = trigger(api, "flaky")
    executor.execution_advance(execution_id=running)
    body = assert_problem(api.post(f"/api/v1/executions/{running}/restart"), 409, "conflict")
    assert body["detail"] == "Execution must be terminated to be restarted, current state is 'RUNNING' !"
    assert_problem(api.post("/api/v1/main/executions/nope/actions/restart"), 404, "not-found")
    succeeded = start(api, HELLO.replace("namespace: acme.sales", "namespace: acme"), "hello")
    run_to_end(succeeded)
    body = assert_problem(api.post(f"/api/v1/executions/{succeeded}/restart"), 422, "validation-failed")
    assert body["detail"] == "No task found to restart execution from!"
    assert_problem(api.post(f"/api/v1/executions/{failed}/restart?revision=0"), 400, "invalid-query-parameter")
    assert_problem(api.post(f"/api/v1/executions/{failed}/restart?revision=9"), 404, "not-found")
    unchanged = Execution.objects.get(pk=succeeded)
    assert (unchanged.state, unchanged.attempt_number) == ("SUCCESS", 1)
    assert "system.restarted" not in {label["key"] for label in unchanged.labels}
    assert Execution.objects.get(pk=failed).state == "FAILED"
    assert Execution.objects.count() == 3


def test_a_restart_on_another_revision_is_a_new_execution_of_it(api, failed):
    revised = api.put("/api/v1/flows/acme/flaky", FLAKY.replace("the gate failed", "revised"), content_type=YAML)
    assert revised.json()["revision"] == 2
    response = api.post(f"/api/v1/executions/{failed}/restart?revision=2")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] != failed and (body["flowRevision"], body["originalId"], body["parentId"]) == (2, failed, failed)
    assert {run["taskId"]: run["state"]["current"] for run in body["taskRunList"]} == {
        "first": "SUCCESS",
        "gate": "RESTARTED",
    }
    assert run_to_end(body["id"]).state == "SUCCESS"
    assert Execution.objects.get(pk=failed).state == "FAILED"


def test_bulk_restart_counts_the_executions_it_restarted(api, failed):
    running = trigger(api, "flaky")
    response = api.post("/api/v1/executions/restart/by-ids", [failed, running, "ghost"], format="json")
    assert response.status_code == 200 and response.json() == {"count": 1}
    assert Execution.objects.get(pk=failed).state == "RESTARTED"
    assert Execution.objects.get(pk=running).state == "CREATED"


def test_bulk_restart_by_query_restarts_what_failed_among_what_the_filters_select(api, failed):
    succeeded = trigger(api, "flaky")
    assert run_to_end(succeeded).state == "FAILED"
    assert api.post(f"/api/v1/executions/{succeeded}/restart").status_code == 200
    assert run_to_end(succeeded).state == "SUCCESS"
    running = trigger(api, "flaky")
    response = api.post("/api/v1/main/executions/restart/by-query?filters[flowId][EQUALS]=flaky")
    assert response.status_code == 200 and response.json() == {"count": 1}
    states = dict(Execution.objects.values_list("id", "state"))
    assert states == {failed: "RESTARTED", succeeded: "SUCCESS", running: "CREATED"}
    assert_problem(api.post("/api/v1/executions/restart/by-query?flowId=flaky"), 400, "invalid-query-filters")


@pytest.fixture
def chained(api) -> str:
    execution_id = start(api, CHAIN, "chain", who="ada")
    assert run_to_end(execution_id).state == "SUCCESS"
    return execution_id


def test_a_replay_from_the_start_is_a_new_execution_of_the_same_inputs(api, chained):
    response = api.post(f"/api/v1/executions/{chained}/replay")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] != chained and body["state"]["current"] == "CREATED" and body["taskRunList"] == []
    assert (body["originalId"], body["parentId"], body["inputs"]) == (chained, chained, {"who": "ada"})
    assert body["metadata"]["attemptNumber"] == 2 and labels(body)["system.replay"] == "true"
    source = api.get(f"/api/v1/executions/{chained}").json()
    assert labels(source)["system.replayed"] == "true"
    assert run_to_end(body["id"]).state == "SUCCESS"
    assert runs(body["id"])["first"].outputs == {"value": body["id"]}


def test_a_replay_from_a_task_run_reuses_the_outputs_before_it(api, chained):
    source_runs = runs(chained)
    response = api.post(f"/api/v1/main/executions/{chained}/actions/replay?taskRunId={source_runs['second'].id}")
    assert response.status_code == 200, response.content
    replay_id = response.json()["id"]
    copied = runs(replay_id)
    assert set(copied) == {"first", "second"}
    assert copied["first"].id != source_runs["first"].id
    assert (copied["first"].state, copied["first"].outputs) == ("SUCCESS", {"value": chained})
    assert copied["second"].state == "RESTARTED"
    replay = run_to_end(replay_id)
    assert (replay.state, replay.original_id, replay.parent_id) == ("SUCCESS", chained, chained)
    assert runs(replay_id)["second"].outputs == {"value": f"{chained} then {replay_id} for ada"}
    assert histories(replay)[-3:] == ["RESTARTED", "RUNNING", "SUCCESS"]
    again = api.post(f"/api/v1/executions/{replay_id}/replay").json()
    assert again["originalId"] == chained and again["metadata"]["attemptNumber"] == 3


def test_a_replay_needs_an_ended_execution_and_one_of_its_task_runs(api, chained):
    other = trigger(api, "chain", who="bob")
    executor.execution_advance(execution_id=other)
    body = assert_problem(api.post(f"/api/v1/executions/{chained}/replay?taskRunId=nope"), 422, "validation-failed")
    assert body["errors"] == [{"path": "taskRunId", "detail": "no task run 'nope' in this execution"}]
    foreign = runs(other)["first"].id  # a task run, but of another execution
    assert_problem(api.post(f"/api/v1/executions/{chained}/replay?taskRunId={foreign}"), 422, "validation-failed")
    body = assert_problem(api.post(f"/api/v1/executions/{other}/replay?taskRunId={foreign}"), 409, "conflict")
    assert body["detail"] == "Cannot replay execution: current state is 'RUNNING', expected terminated."
    assert_problem(api.post(f"/api/v1/main/executions/{other}/actions/replay"), 409, "conflict")
    assert_problem(api.post("/api/v1/executions/nope/replay"), 404, "not-found")
    assert_problem(api.post(f"/api/v1/executions/{chained}/replay?revision=x"), 400, "invalid-query-parameter")
    assert Execution.objects.count() == 2
    assert "system.replayed" not in {label["key"] for label in Execution.objects.get(pk=chained).labels}


def test_a_replay_with_inputs_validates_and_uses_its_own(api, chained):
    response = api.post(f"/api/v1/executions/{chained}/replay-with-inputs", {"who": "bob"}, format="multipart")
    assert response.status_code == 200, response.content
    replay = response.json()
    assert (replay["inputs"], replay["originalId"], replay["state"]["current"]) == ({"who": "bob"}, chained, "CREATED")
    assert run_to_end(replay["id"]).state == "SUCCESS"
    assert runs(replay["id"])["second"].outputs == {"value": f"{replay['id']} then {replay['id']} for bob"}
    second = runs(chained)["second"].id
    path = f"/api/v1/main/executions/{chained}/actions/replay-with-inputs?taskRunId={second}"
    from_second = api.post(path, {"who": "cy"}, format="multipart").json()
    run_to_end(from_second["id"])
    assert runs(from_second["id"])["second"].outputs == {"value": f"{chained} then {from_second['id']} for cy"}


def test_a_replay_with_invalid_inputs_creates_nothing(api, chained):
    response = api.post(f"/api/v1/executions/{chained}/replay-with-inputs", {}, format="multipart")
    body = assert_problem(response, 422, "validation-failed")
    assert body["errors"] == [{"path": "inputs.who", "detail": "missing required input"}]
    assert_problem(api.post("/api/v1/executions/nope/replay-with-inputs", {}, format="multipart"), 404, "not-found")
    assert Execution.objects.count() == 1
    assert "system.replayed" not in {label["key"] for label in Execution.objects.get(pk=chained).labels}


@pytest.fixture
def hello(api) -> str:
    execution_id = start(api, HELLO.replace("namespace: acme.sales", "namespace: acme"), "hello")
    executor.execution_advance(execution_id=execution_id)
    return execution_id


def test_a_skipped_task_run_counts_as_a_success_and_the_flow_goes_on(api, hello):
    greet = runs(hello)["greet"]
    response = api.post(f"/api/v1/executions/{hello}/taskruns/{greet.id}/skip")
    assert response.status_code == 200, response.content
    assert response.json()["taskRunList"][0]["state"]["current"] == "SKIPPED"
    execution = run_to_end(hello)
    assert execution.state == "SUCCESS"
    assert {task_id: run.state for task_id, run in runs(hello).items()} == {"greet": "SKIPPED", "answer": "SUCCESS"}
    assert not LogEntry.objects.filter(execution_id=hello).exists()  # greet never ran


def test_a_running_task_run_skipped_ends_skipped_whatever_its_worker_says_after(api, hello):
    greet = runs(hello)["greet"]
    assert task_run_transition(greet, State.RUNNING)  # a worker claimed it
    assert api.post(f"/api/v1/executions/{hello}/taskruns/{greet.id}/skip").status_code == 200
    assert not task_run_transition(greet, State.SUCCESS, outputs={"late": True})  # the worker's outcome, too late
    greet.refresh_from_db()
    assert (greet.state, greet.outputs) == ("SKIPPED", {})
    assert run_to_end(hello).state == "SUCCESS"


def test_only_a_created_retrying_or_running_worker_task_run_can_be_skipped(api, hello):
    run_to_end(hello)
    greet = runs(hello)["greet"]
    body = assert_problem(api.post(f"/api/v1/executions/{hello}/taskruns/{greet.id}/skip"), 409, "conflict")
    assert "it is SUCCESS" in body["detail"]
    assert_problem(api.post(f"/api/v1/executions/{hello}/taskruns/nope/skip"), 404, "not-found")
    assert_problem(api.post(f"/api/v1/executions/nope/taskruns/{greet.id}/skip"), 404, "not-found")
    group = "id: grouped\nnamespace: acme\ntasks:\n  - id: g\n    type: io.kestra.plugin.core.flow.Sequential\n"
    group += "    tasks:\n      - id: t\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n"
    grouped = start(api, group, "grouped")
    executor.execution_advance(execution_id=grouped)
    body = assert_problem(
        api.post(f"/api/v1/executions/{grouped}/taskruns/{runs(grouped)['g'].id}/skip"), 409, "conflict"
    )
    assert "flowable" in body["detail"]
    assert runs(grouped)["g"].state == "RUNNING" and runs(hello)["greet"].state == "SUCCESS"


SLEEPY = """\
id: sleepy
namespace: acme
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT60S
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: awake
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_running_a_skipped_task_stops_it_within_seconds(api):
    execution_id = start(api, SLEEPY, "sleepy")
    executor.execution_advance(execution_id=execution_id)
    nap = runs(execution_id)["nap"]

    def work() -> None:
        try:
            worker.task_run_execute(task_run_id=nap.id, worker_id="w")
        finally:
            connection.close()

    sleeping = threading.Thread(target=work)
    sleeping.start()
    while TaskRun.objects.get(pk=nap.pk).state != "RUNNING":
        time.sleep(0.05)
    assert api.post(f"/api/v1/executions/{execution_id}/taskruns/{nap.id}/skip").status_code == 200
    sleeping.join(timeout=10)  # the Sleep had 60 s to go
    assert not sleeping.is_alive()
    nap.refresh_from_db()
    assert (nap.state, nap.attempt) == ("SKIPPED", 1)
    assert run_to_end(execution_id).state == "SUCCESS"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("target", [State.KILLING, State.SKIPPED])
def test_a_running_attempt_notices_a_kill_or_a_skip_well_within_a_beat(api, target):
    execution_id = start(api, SLEEPY, "sleepy")
    executor.execution_advance(execution_id=execution_id)
    nap = runs(execution_id)["nap"]
    assert task_run_transition(nap, State.RUNNING)
    stop = threading.Event()
    with Heartbeat(nap.id, stop):
        assert task_run_transition(nap, target)
        assert stop.wait(3)  # a beat is 5 s apart by default; the state is checked every second
