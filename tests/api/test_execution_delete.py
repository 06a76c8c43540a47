"""Deleting executions with their task runs, logs and stored files: one, by ids, by query; killing by query."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from executions import executor
from executions.models import Execution, LogEntry, TaskRun, Trigger
from flowhub.engine.states import TERMINAL

from .drive import drive_until, run_to_end
from .helpers import YAML, assert_problem
from .test_file_inputs import files_under
from .test_subflows import CHILD, parent, save

FILED = """\
id: filed
namespace: acme.files
inputs:
  - id: doc
    type: FILE
tasks:
  - id: note
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(inputs.doc) }}"
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: copied
    extension: .txt
"""


def run_filed(api) -> str:
    response = api.post(
        "/api/v1/executions/acme.files/filed", {"doc": SimpleUploadedFile("doc.txt", b"hello")}, format="multipart"
    )
    assert response.status_code == 200, response.content
    execution_id = response.json()["id"]
    assert run_to_end(execution_id).state == "SUCCESS"
    return execution_id


def prefix(execution_id: str) -> str:
    return f"acme/files/filed/executions/{execution_id}"


@pytest.fixture
def filed(api):
    assert api.post("/api/v1/flows", FILED, content_type=YAML).status_code == 200


def created(api, flow: str = "acme.files/filed") -> str:
    """An execution that stays CREATED: nothing drives it."""
    upload = {"doc": SimpleUploadedFile("doc.txt", b"hello")} if flow == "acme.files/filed" else {}
    return api.post(f"/api/v1/executions/{flow}", upload, format="multipart").json()["id"]


def test_deleting_an_ended_execution_removes_its_runs_logs_and_files_and_says_how_many(api, filed):
    execution_id = run_filed(api)
    stored = files_under(prefix(execution_id))
    assert len(stored) == 2  # the input and the written file
    assert LogEntry.objects.filter(execution_id=execution_id).count() == 1
    response = api.delete(f"/api/v1/main/executions/{execution_id}")
    assert response.status_code == 200, response.content
    assert response.json() == {"id": execution_id, "deletedLogs": 1, "deletedFiles": 2}
    assert_problem(api.get(f"/api/v1/executions/{execution_id}"), 404, "not-found")
    assert not TaskRun.objects.filter(execution_id=execution_id).exists()
    assert not LogEntry.objects.filter(execution_id=execution_id).exists()
    assert not any(default_storage.exists(path) for path in stored)
    assert not default_storage.exists(prefix(execution_id))
    assert_problem(api.delete(f"/api/v1/executions/{execution_id}"), 404, "not-found")


def test_delete_storage_false_keeps_the_files(api, filed):
    execution_id = run_filed(api)
    stored = files_under(prefix(execution_id))
    response = api.delete(f"/api/v1/executions/{execution_id}?deleteStorage=false&deleteMetrics=false")
    assert response.json() == {"id": execution_id, "deletedLogs": 1, "deletedFiles": 0}
    assert files_under(prefix(execution_id)) == stored
    assert not Execution.objects.filter(pk=execution_id).exists()


def test_logs_cannot_outlive_their_execution(api, filed):
    execution_id = run_filed(api)
    body = assert_problem(
        api.delete(f"/api/v1/executions/{execution_id}?deleteLogs=false"), 400, "invalid-query-parameter"
    )
    assert body["errors"][0]["path"] == "deleteLogs"
    assert_problem(api.delete(f"/api/v1/executions/{execution_id}?deleteStorage=maybe"), 400, "invalid-query-parameter")
    assert Execution.objects.filter(pk=execution_id).exists()


def test_an_execution_that_has_not_ended_is_409_and_kept(api, filed):
    execution_id = created(api)
    body = assert_problem(api.delete(f"/api/v1/executions/{execution_id}"), 409, "conflict")
    assert "includeNonTerminated" in body["detail"]
    assert Execution.objects.filter(pk=execution_id).exists()
    assert len(files_under(prefix(execution_id))) == 1


def test_deleting_a_parent_leaves_its_subflow_execution_without_one(api):
    save(api, CHILD, parent())
    parent_id = api.post("/api/v1/executions/acme/parent", {}, format="multipart").json()["id"]
    drive_until(lambda: Execution.objects.get(pk=parent_id).state == "SUCCESS")
    child = Execution.objects.get(parent_id=parent_id)
    assert api.delete(f"/api/v1/executions/{parent_id}").status_code == 200
    child.refresh_from_db()
    assert (child.parent_id, child.parent_task_run_id, child.state) == (None, None, "SUCCESS")
    assert "parentId" not in api.get(f"/api/v1/executions/{child.id}").json()


def test_deleting_a_replayed_execution_leaves_its_replay(api, filed):
    source_id = run_filed(api)
    replay_id = api.post(f"/api/v1/executions/{source_id}/replay").json()["id"]
    assert api.delete(f"/api/v1/executions/{source_id}").status_code == 200
    replay = Execution.objects.get(pk=replay_id)
    assert (replay.parent_id, replay.original_id) == (None, source_id)


def test_a_trigger_forgets_a_deleted_execution_as_its_last(api, filed):
    execution_id = run_filed(api)
    Trigger.objects.create(
        namespace="acme.files", flow_id="filed", trigger_id="hourly", type="schedule", last_execution_id=execution_id
    )
    api.delete(f"/api/v1/executions/{execution_id}")
    assert Trigger.objects.get(trigger_id="hourly").last_execution_id == ""


def test_delete_by_ids_deletes_the_ended_ones_and_counts_them(api, filed):
    ended, running = run_filed(api), created(api)
    response = api.delete("/api/v1/executions/by-ids", [ended, running, "unknown"], format="json")
    assert response.json() == {"count": 1}
    assert list(Execution.objects.values_list("id", flat=True)) == [running]


def test_delete_by_ids_with_include_non_terminated_kills_then_deletes(api, filed):
    running = created(api)
    executor.execution_advance(execution_id=running)  # RUNNING, its first task waiting for a worker
    response = api.delete("/api/v1/executions/by-ids?includeNonTerminated=true", [running], format="json")
    assert response.json() == {"count": 1}
    assert not Execution.objects.exists() and not TaskRun.objects.exists()
    assert files_under(prefix(running)) == []


def test_deleting_a_running_subflow_execution_ends_the_run_waiting_for_it(api):
    save(api, CHILD, parent())
    parent_id = api.post("/api/v1/executions/acme/parent", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=parent_id)  # the Subflow run starts its child, which nothing drives
    child_id = Execution.objects.get(parent_id=parent_id).id
    assert api.delete("/api/v1/executions/by-ids?includeNonTerminated=true", [child_id], format="json").json() == {
        "count": 1
    }
    call = TaskRun.objects.get(execution_id=parent_id, task_id="call")
    assert call.state == "FAILED"  # the child was killed first: a Subflow run fails with a killed child
    assert run_to_end(parent_id).state == "FAILED"


@pytest.mark.parametrize(
    "body", ['"abc"', '{"ids": ["a"]}', "[" + ",".join(['"x"'] * 1001) + "]", '["' + "x" * 23 + '"]']
)
def test_delete_by_ids_refuses_a_body_that_is_not_a_bounded_list_of_ids(api, body):
    assert_problem(
        api.generic("DELETE", "/api/v1/executions/by-ids", body, content_type="application/json"),
        400,
        "invalid-query-parameter",
    )


def test_delete_by_query_deletes_what_the_filters_select(api, filed):
    ended = [run_filed(api), run_filed(api)]
    running = created(api)
    response = api.delete("/api/v1/executions/by-query?filters[flowId][EQUALS]=filed")
    assert response.json() == {"count": 2}
    assert list(Execution.objects.values_list("id", flat=True)) == [running]
    assert all(files_under(prefix(execution_id)) == [] for execution_id in ended)
    everything = "/api/v1/executions/by-query?filters[namespace][PREFIX]=acme&includeNonTerminated=true"
    assert api.delete(everything).json() == {"count": 1}
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("", "filters"),
        ("flowId=filed", "flowId"),
        ("filters[flowId][EQUALS]=filed&state=SUCCESS", "state"),
        ("filters[colour][EQUALS]=red", "filters[colour][EQUALS]"),
    ],
)
def test_by_query_needs_filters_and_no_flat_parameter(api, filed, query, path):
    execution_id = run_filed(api)
    for route in ("by-query", "kill/by-query"):
        body = assert_problem(api.delete(f"/api/v1/executions/{route}?{query}"), 400, "invalid-query-filters")
        assert body["errors"][0]["path"] == path
    assert Execution.objects.filter(pk=execution_id).exists()


def test_kill_by_query_kills_what_has_not_ended(api, filed):
    ended = run_filed(api)
    waiting = [created(api), created(api)]
    response = api.delete("/api/v1/executions/kill/by-query?filters[namespace][EQUALS]=acme.files")
    assert response.json() == {"count": 2}
    states = dict(Execution.objects.values_list("id", "state"))
    assert states == {ended: "SUCCESS", waiting[0]: "KILLED", waiting[1]: "KILLED"}
    assert all(state in TERMINAL for state in states.values())
    assert api.delete("/api/v1/executions/kill/by-query?filters[namespace][EQUALS]=acme.files").json() == {"count": 0}
