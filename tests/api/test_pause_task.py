"""The Pause task: its execution waits PAUSED until resumed with `onResume` inputs, or until its duration ends."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from executions import executor, recovery
from executions.dispatch import enqueue_pause_end
from executions.models import Execution, TaskRun
from flowhub.engine.states import State

from .drive import run_to_end, run_until
from .helpers import RUNS_TASKS_ON_THIS_PROCESS, YAML, assert_problem
from .test_file_inputs import files_under

PAUSED = frozenset({State.PAUSED})

APPROVAL = """\
id: approval
namespace: acme.pauses
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: asking
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: reason
        type: STRING
      - id: data
        type: FILE
      - id: copies
        type: INT
        defaults: 1
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.wait.onResume.reason }} x{{ outputs.wait.onResume.copies }}"
  - id: read
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    inputFiles:
      data.txt: "{{ outputs.wait.onResume.data }}"
    commands:
      - echo "::{\\"outputs\\":{\\"content\\":\\"$(cat data.txt)\\"}}::"
"""


def start(api, source: str) -> str:
    """An execution of the flow, run until its Pause holds it."""
    assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200
    flow_id = source.split("\n", 1)[0].removeprefix("id: ")
    namespace = source.split("\n", 2)[1].removeprefix("namespace: ")
    execution_id = api.post(f"/api/v1/executions/{namespace}/{flow_id}", {}, format="multipart").json()["id"]
    run_until(execution_id, PAUSED)
    return execution_id


def states(execution_id: str) -> dict[str, str]:
    return dict(TaskRun.objects.filter(execution_id=execution_id).values_list("task_id", "state"))


def history(row) -> list[str]:
    return [entry["state"] for entry in row.state_history]


@RUNS_TASKS_ON_THIS_PROCESS
def test_a_pause_holds_the_execution_until_resumed_with_inputs_that_later_tasks_read(api):
    execution_id = start(api, APPROVAL)
    assert states(execution_id) == {"before": "SUCCESS", "wait": "PAUSED"}
    executor.execution_advance(execution_id=execution_id)  # a paused execution starts nothing new
    assert states(execution_id) == {"before": "SUCCESS", "wait": "PAUSED"}
    assert TaskRun.objects.get(task_id="wait").resume_at is None  # no duration: it waits for a person

    upload = SimpleUploadedFile("notes.txt", b"signed by Ada")
    response = api.post(
        f"/api/v1/executions/{execution_id}/resume", {"reason": "approved", "data": upload}, format="multipart"
    )
    assert response.status_code == 204 and not response.content
    wait = TaskRun.objects.get(task_id="wait")
    uri = wait.outputs["onResume"]["data"]
    assert wait.outputs == {"onResume": {"reason": "approved", "data": uri, "copies": 1}}
    assert uri.startswith(f"kestra:///acme/pauses/approval/executions/{execution_id}/inputs/data/")
    with default_storage.open(uri.removeprefix("kestra:///")) as stored:
        assert stored.read() == b"signed by Ada"

    execution = run_to_end(execution_id)
    assert execution.state == "SUCCESS"
    assert history(execution) == ["CREATED", "RUNNING", "PAUSED", "RUNNING", "SUCCESS"]
    assert history(wait) == ["CREATED", "RUNNING", "PAUSED", "SUCCESS"]
    assert TaskRun.objects.get(task_id="after").outputs == {"value": "approved x1"}
    assert TaskRun.objects.get(task_id="read").outputs["vars"] == {"content": "signed by Ada"}


def test_bad_resume_inputs_are_422_naming_each_input_and_change_nothing(api):
    execution_id = start(api, APPROVAL)
    upload = SimpleUploadedFile("notes.txt", b"x")
    body = assert_problem(
        api.post(f"/api/v1/executions/{execution_id}/resume", {"copies": "many", "data": upload}, format="multipart"),
        422,
        "validation-failed",
    )
    assert [error["path"] for error in body["errors"]] == ["inputs.reason", "inputs.copies"]
    assert body["errors"][0]["detail"] == "missing required input"
    empty = SimpleUploadedFile("notes.txt", b"")
    body = assert_problem(
        api.post(
            f"/api/v1/main/executions/{execution_id}/actions/resume",
            {"reason": "ok", "data": empty},
            format="multipart",
        ),
        422,
        "validation-failed",
    )
    assert body["errors"] == [{"path": "inputs.data", "detail": "the uploaded file is empty"}]

    assert Execution.objects.get(pk=execution_id).state == "PAUSED"
    assert states(execution_id) == {"before": "SUCCESS", "wait": "PAUSED"}
    assert TaskRun.objects.get(task_id="wait").outputs == {}
    assert files_under(f"acme/pauses/approval/executions/{execution_id}") == []  # the refused upload is gone


def test_both_resume_paths_answer_as_their_kestra_version_and_409_unless_paused(api):
    execution_id = start(api, APPROVAL.replace("      - id: data\n        type: FILE\n", ""))
    resumed = api.post(f"/api/v1/main/executions/{execution_id}/actions/resume", {"reason": "yes"}, format="multipart")
    assert resumed.status_code == 200
    body = resumed.json()
    assert body["state"]["current"] == "RUNNING"
    (wait,) = [run for run in body["taskRunList"] if run["taskId"] == "wait"]
    assert wait["state"]["current"] == "SUCCESS" and wait["outputs"] == {"onResume": {"reason": "yes", "copies": 1}}
    for path in (f"/api/v1/executions/{execution_id}/resume", f"/api/v1/main/executions/{execution_id}/actions/resume"):
        body = assert_problem(api.post(path, {"reason": "again"}, format="multipart"), 409, "conflict")
        assert "only a paused execution can be resumed" in body["detail"]
    assert_problem(api.post("/api/v1/executions/nope/resume"), 404, "not-found")


def test_the_resume_inputs_can_be_checked_without_resuming(api):
    execution_id = start(api, APPROVAL)
    upload = SimpleUploadedFile("notes.txt", b"x")
    for prefix in ("/api/v1", "/api/v1/main"):
        response = api.post(
            f"{prefix}/executions/{execution_id}/resume/validate", {"reason": "ok", "data": upload}, format="multipart"
        )
        upload.seek(0)
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["id"], body["namespace"], body["checks"]) == ("approval", "acme.pauses", [])
        reason, data, copies = body["inputs"]
        assert reason == {"input": {"id": "reason", "type": "STRING", "required": True}, "value": "ok", "errors": []}
        assert data["input"]["type"] == "FILE" and data["value"].startswith("kestra:///")
        assert copies["value"] == 1 and copies["input"]["defaults"] == 1
    assert Execution.objects.get(pk=execution_id).state == "PAUSED"
    assert files_under(f"acme/pauses/approval/executions/{execution_id}") == []  # checked, not kept
    body = assert_problem(
        api.post(f"/api/v1/executions/{execution_id}/resume/validate", {}, format="multipart"), 422, "validation-failed"
    )
    assert [error["path"] for error in body["errors"]] == ["inputs.reason", "inputs.data"]
    resumed = api.post(
        f"/api/v1/executions/{execution_id}/resume", {"reason": "ok", "data": upload}, format="multipart"
    )
    assert resumed.status_code == 204
    assert_problem(api.post(f"/api/v1/executions/{execution_id}/resume/validate"), 409, "conflict")


TIMED = """\
id: timed
namespace: acme.pauses
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT5M
    behavior: {behavior}
  - id: next
    type: io.kestra.plugin.core.log.Log
    message: after the pause
"""


@pytest.mark.parametrize(
    ("behavior", "pause_state", "final_state", "next_ran"),
    [
        ("RESUME", "SUCCESS", "SUCCESS", True),
        ("WARN", "WARNING", "WARNING", True),
        ("FAIL", "FAILED", "FAILED", False),
        ("CANCEL", "CANCELLED", "CANCELLED", False),
    ],
)
def test_a_pause_duration_ends_by_itself_as_its_behavior_says(api, behavior, pause_state, final_state, next_ran):
    execution_id = start(api, TIMED.format(behavior=behavior))
    wait = TaskRun.objects.get(task_id="wait")
    assert wait.resume_at == wait.started_at + timedelta(minutes=5)
    assert recovery.executions_sweep(now=timezone.now() + timedelta(minutes=4))["pauses"] == 0
    assert states(execution_id) == {"wait": "PAUSED"}

    later = timezone.now() + timedelta(minutes=6)
    assert recovery.executions_sweep(now=later)["pauses"] == 1
    assert recovery.executions_sweep(now=later)["pauses"] == 0  # done once; a repeat changes nothing
    assert not recovery.paused_task_run_end(task_run_id=wait.id, now=later)
    execution = run_to_end(execution_id)
    assert execution.state == final_state
    wait.refresh_from_db()
    assert history(wait) == ["CREATED", "RUNNING", "PAUSED", pause_state]
    assert ("next" in states(execution_id)) == next_ran


def test_the_older_delay_and_a_rendered_duration_set_when_it_resumes(api):
    execution_id = start(api, TIMED.format(behavior="RESUME").replace("pauseDuration: PT5M", "delay: PT2M"))
    wait = TaskRun.objects.get(execution_id=execution_id, task_id="wait")
    assert wait.resume_at == wait.started_at + timedelta(minutes=2)
    source = TIMED.format(behavior="RESUME").replace("id: timed", "id: rendered")
    source = source.replace("tasks:\n", "inputs:\n  - id: wait\n    type: DURATION\n    defaults: PT3M\ntasks:\n", 1)
    execution_id = start(api, source.replace("pauseDuration: PT5M", 'pauseDuration: "{{ inputs.wait }}"'))
    wait = TaskRun.objects.get(execution_id=execution_id, task_id="wait")
    assert wait.resume_at == wait.started_at + timedelta(minutes=3)


def test_a_duration_that_does_not_render_fails_the_pause(api):
    source = TIMED.format(behavior="RESUME").replace("pauseDuration: PT5M", 'pauseDuration: "{{ 1 + 1 }}"')
    api.post("/api/v1/flows", source, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.pauses/timed", {}, format="multipart").json()["id"]
    assert run_to_end(execution_id).state == "FAILED"
    assert states(execution_id) == {"wait": "FAILED"}
    log = api.get(f"/api/v1/logs/{execution_id}").json()[0]
    assert log["level"] == "ERROR" and "task 'wait': the pause's duration '2'" in log["message"]


def test_a_short_pause_also_sends_a_message_to_end_it_on_time(api, django_capture_on_commit_callbacks):
    source = TIMED.format(behavior="RESUME").replace("PT5M", "PT5S")
    api.post("/api/v1/flows", source, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.pauses/timed", {}, format="multipart").json()["id"]
    with django_capture_on_commit_callbacks() as callbacks:
        executor.execution_advance(execution_id=execution_id)
    wait = TaskRun.objects.get(task_id="wait")
    sent = [(callback.func, callback.args) for callback in callbacks if getattr(callback, "func", None)]
    assert (enqueue_pause_end, (wait.id, timedelta(seconds=5))) in sent
    assert recovery.paused_task_run_end(task_run_id=wait.id, now=wait.resume_at)  # what that message does
    assert run_to_end(execution_id).state == "SUCCESS"


PARALLEL = """\
id: pair
namespace: acme.pauses
tasks:
  - id: both
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.flow.Pause
        onResume:
          - id: reason
            type: STRING
      - id: right
        type: io.kestra.plugin.core.flow.Pause
        onResume:
          - id: note
            type: STRING
      - id: busy
        type: io.kestra.plugin.core.log.Log
        message: runs alongside
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.left.onResume.reason }} / {{ outputs.right.onResume.note }}"
"""


def test_one_resume_resumes_every_paused_pause(api):
    execution_id = start(api, PARALLEL)
    assert states(execution_id) == {"both": "RUNNING", "left": "PAUSED", "right": "PAUSED", "busy": "SUCCESS"}
    body = assert_problem(
        api.post(f"/api/v1/executions/{execution_id}/resume", {"reason": "go"}, format="multipart"),
        422,
        "validation-failed",
    )
    assert body["errors"] == [{"path": "inputs.note", "detail": "missing required input"}]
    response = api.post(
        f"/api/v1/executions/{execution_id}/resume", {"reason": "go", "note": "fine"}, format="multipart"
    )
    assert response.status_code == 204
    assert run_to_end(execution_id).state == "SUCCESS"
    assert TaskRun.objects.get(task_id="after").outputs == {"value": "go / fine"}
    assert TaskRun.objects.get(task_id="right").outputs == {"onResume": {"note": "fine"}}


def test_the_execution_stays_paused_while_another_pause_holds_it(api):
    source = PARALLEL.replace("        onResume:\n          - id: reason\n", "        pauseDuration: PT1M\n", 1)
    source = source.replace("            type: STRING\n", "", 1).replace("{{ outputs.left.onResume.reason }}", "timed")
    execution_id = start(api, source)
    assert recovery.executions_sweep(now=timezone.now() + timedelta(minutes=2))["pauses"] == 1
    assert states(execution_id)["left"] == "SUCCESS"
    assert Execution.objects.get(pk=execution_id).state == "PAUSED"
    api.post(f"/api/v1/executions/{execution_id}/resume", {"note": "fine"}, format="multipart")
    assert run_to_end(execution_id).state == "SUCCESS"
    assert TaskRun.objects.get(task_id="after").outputs == {"value": "timed / fine"}


def test_killing_a_paused_execution_kills_its_pause(api):
    execution_id = start(api, TIMED.format(behavior="RESUME"))
    assert api.delete(f"/api/v1/executions/{execution_id}/kill").status_code == 202
    assert states(execution_id) == {"wait": "KILLED"}
    assert recovery.executions_sweep(now=timezone.now() + timedelta(minutes=6))["pauses"] == 0
    execution = run_to_end(execution_id)
    assert execution.state == "KILLED"
    assert history(execution) == ["CREATED", "RUNNING", "PAUSED", "KILLING", "KILLED"]


def test_a_cancelling_pause_stops_what_still_runs_in_other_branches(api):
    source = PARALLEL.replace(
        "        onResume:\n          - id: reason\n            type: STRING\n",
        "        pauseDuration: PT1M\n        behavior: CANCEL\n",
        1,
    )
    execution_id = start(api, source)
    recovery.executions_sweep(now=timezone.now() + timedelta(minutes=2))
    execution = Execution.objects.get(pk=execution_id)
    assert execution.state == "CANCELLED" and execution.ended_at is not None
    assert states(execution_id) == {"both": "KILLED", "left": "CANCELLED", "right": "KILLED", "busy": "SUCCESS"}


WITH_TASKS = """\
id: legacy
namespace: acme.pauses
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    tasks:
      - id: first
        type: io.kestra.plugin.core.log.Log
        message: resumed
      - id: second
        type: io.kestra.plugin.core.debug.Return
        format: "{{ outputs.first is defined }}"
"""


def test_a_pause_runs_its_deprecated_tasks_once_resumed(api):
    execution_id = start(api, WITH_TASKS)
    assert states(execution_id) == {"wait": "PAUSED"}
    assert api.post(f"/api/v1/executions/{execution_id}/resume").status_code == 204
    assert TaskRun.objects.get(task_id="wait").state == "RUNNING"
    assert run_to_end(execution_id).state == "SUCCESS"
    wait = TaskRun.objects.get(task_id="wait")
    assert history(wait) == ["CREATED", "RUNNING", "PAUSED", "RUNNING", "SUCCESS"]
    assert states(execution_id) == {"wait": "SUCCESS", "first": "SUCCESS", "second": "SUCCESS"}


def test_a_warning_pause_with_tasks_warns_once_they_succeed(api):
    execution_id = start(
        api, WITH_TASKS.replace("    tasks:\n", "    pauseDuration: PT1M\n    behavior: WARN\n    tasks:\n")
    )
    recovery.executions_sweep(now=timezone.now() + timedelta(minutes=2))
    assert run_to_end(execution_id).state == "WARNING"
    assert states(execution_id) == {"wait": "WARNING", "first": "SUCCESS", "second": "SUCCESS"}


def test_a_pause_without_duration_fails_once_its_timeout_is_over(api):
    execution_id = start(api, TIMED.format(behavior="RESUME").replace("pauseDuration: PT5M", "timeout: PT1M"))
    recovery.executions_sweep(now=timezone.now() + timedelta(minutes=2))
    assert run_to_end(execution_id).state == "FAILED"
    assert states(execution_id) == {"wait": "FAILED"}


def test_a_person_paused_execution_resumes_as_before_ignoring_inputs(api):
    source = TIMED.format(behavior="RESUME").replace("id: timed", "id: manual")
    source = source.replace(
        "  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n    pauseDuration: PT5M\n    behavior: RESUME\n",
        "  - id: first\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n",
    )
    api.post("/api/v1/flows", source, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.pauses/manual", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    assert api.post(f"/api/v1/executions/{execution_id}/pause").status_code == 204
    response = api.post(f"/api/v1/executions/{execution_id}/resume", {"reason": "unused"}, format="multipart")
    assert response.status_code == 204
    assert run_to_end(execution_id).state == "SUCCESS"
    assert "PAUSED" not in states(execution_id).values()
