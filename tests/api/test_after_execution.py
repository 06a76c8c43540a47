"""A flow's afterExecution tasks: run once the final state is decided, which they see and cannot change."""

import pytest

from executions.models import Execution, LogEntry, TaskRun

from .drive import run_to_end
from .helpers import YAML

NOTIFY = """\
id: notify
namespace: acme
inputs:
  - id: fail
    type: BOOLEAN
tasks:
  - id: work
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ inputs.fail }}"
    errorMessage: broken
  - id: seen_while_running
    type: io.kestra.plugin.core.log.Log
    message: "running as {{ execution.state }}"
finally:
  - id: cleanup
    type: io.kestra.plugin.core.log.Log
    message: "cleanup as {{ execution.state }}"
afterExecution:
  - id: on_failure
    type: io.kestra.plugin.core.log.Log
    runIf: "{{ execution.state == 'FAILED' }}"
    message: "the execution {{ execution.id }} ended {{ execution.state }}"
  - id: on_success
    type: io.kestra.plugin.core.log.Log
    runIf: "{{ execution.state == 'SUCCESS' }}"
    message: "all good: {{ execution.state }}"
  - id: broken_notifier
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: the notifier is down
"""


@pytest.fixture
def notify(api):
    assert api.post("/api/v1/flows", NOTIFY, content_type=YAML).status_code == 200


def execute(api, fail: bool) -> Execution:
    response = api.post("/api/v1/executions/acme/notify", {"fail": str(fail).lower()}, format="multipart")
    assert response.status_code == 200, response.content
    return run_to_end(response.json()["id"])


def infos(execution: Execution) -> list[str]:
    return list(LogEntry.objects.filter(execution=execution, level="INFO").values_list("message", flat=True))


def test_a_failed_execution_runs_its_after_execution_tasks_which_see_the_final_state(api, notify):
    execution = execute(api, fail=True)
    assert execution.state == "FAILED"
    runs = dict(TaskRun.objects.filter(execution=execution).values_list("task_id", "state"))
    assert runs == {
        "work": "FAILED", "cleanup": "SUCCESS",
        "on_failure": "SUCCESS", "on_success": "SKIPPED", "broken_notifier": "FAILED",
    }  # fmt: skip
    assert infos(execution) == ["cleanup as RUNNING", f"the execution {execution.id} ended FAILED"]


def test_a_failing_after_execution_task_leaves_a_successful_execution_successful(api, notify):
    execution = execute(api, fail=False)
    assert execution.state == "SUCCESS"
    assert infos(execution) == ["running as RUNNING", "cleanup as RUNNING", "all good: SUCCESS"]
    notifier = TaskRun.objects.get(execution=execution, task_id="broken_notifier")
    assert notifier.state == "FAILED"
    assert [entry["state"] for entry in execution.state_history] == ["CREATED", "RUNNING", "SUCCESS"]
    assert execution.ended_at >= notifier.ended_at  # terminal means terminal: it ended after its last task


def test_a_flow_with_after_execution_is_run_not_refused(api, notify):
    body = api.get("/api/v1/flows/acme/notify").json()
    assert [task["id"] for task in body["afterExecution"]] == ["on_failure", "on_success", "broken_notifier"]
    assert api.post("/api/v1/flows/validate", NOTIFY, content_type=YAML).json()[0]["warnings"] == []
