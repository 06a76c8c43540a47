"""A flow's `retry`: an execution that would end FAILED tries again once its delay is over, in place
(RETRY_FAILED_TASK: RETRYING, then restarted) or as a new execution (CREATE_NEW_EXECUTION: RETRIED)."""

from datetime import timedelta

from django.utils import timezone

from executions import executor, flow_retry, recovery, worker
from executions.models import Execution, LogEntry, TaskRun
from flowhub.engine.states import TERMINAL, State

from .helpers import YAML, assert_problem

RETRIED_FLOW = """\
id: stubborn
namespace: acme
retry:
  type: constant
  interval: PT30S
  maxAttempt: {attempts}
  behavior: {behavior}
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ execution.id }}}}"
  - id: gate
    type: io.kestra.plugin.core.execution.Fail
    condition: "{condition}"
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    message: the gate failed
"""


def start(api, attempts: int = 3, behavior: str = "RETRY_FAILED_TASK", condition: str = "true") -> str:
    source = RETRIED_FLOW.format(attempts=attempts, behavior=behavior, condition=condition)
    assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200
    return api.post("/api/v1/executions/acme/stubborn", {}, format="multipart").json()["id"]


def settle(execution_id: str) -> Execution:
    """Run the execution until it ends or waits for its flow retry."""
    for _ in range(50):
        executor.execution_advance(execution_id=execution_id)
        waiting = TaskRun.objects.filter(execution_id=execution_id, state__in=[State.CREATED, State.RESTARTED])
        for task_run_id in waiting.values_list("id", flat=True):
            worker.task_run_execute(task_run_id=task_run_id, worker_id="w")
        execution = Execution.objects.get(pk=execution_id)
        if State(execution.state) in TERMINAL or execution.state == State.RETRYING:
            return execution
    raise AssertionError(f"execution {execution_id} did not settle")


def due(execution: Execution, ago: timedelta = timedelta(seconds=10)) -> None:
    """Bring the flow retry's time forward, as if its delay were over (`ago` since)."""
    assert execution.retry_at - timezone.now() > timedelta(seconds=25)  # PT30S from the failure
    Execution.objects.filter(pk=execution.pk).update(retry_at=timezone.now() - ago)


def task_states(execution_id: str) -> dict[str, tuple[str, int]]:
    return {run.task_id: (run.state, run.attempt) for run in TaskRun.objects.filter(execution_id=execution_id)}


def test_a_failed_execution_restarts_in_place_after_the_delay_until_it_succeeds(api):
    execution_id = start(api, condition="{{ taskrun.attemptsCount < 2 }}")  # the gate opens on its third attempt
    execution = settle(execution_id)
    assert execution.state == "RETRYING"
    assert task_states(execution_id) == {"first": ("SUCCESS", 1), "gate": ("FAILED", 1), "alert": ("SUCCESS", 1)}
    warning = LogEntry.objects.get(execution_id=execution_id, level="WARN").message
    assert warning == "attempt 1 failed; attempt 2 in 0:00:30: this execution restarted"
    flow_retry.flow_retry_perform(execution_id=execution_id)  # not due yet: nothing happens
    assert Execution.objects.get(pk=execution_id).state == "RETRYING"

    due(execution)
    assert recovery.executions_sweep()["flow_retries"] == 1  # the sweep performs a due retry itself
    restarted = Execution.objects.get(pk=execution_id)
    assert (restarted.state, restarted.attempt_number, restarted.retry_at) == ("RESTARTED", 2, None)
    assert task_states(execution_id) == {"first": ("SUCCESS", 1), "gate": ("RESTARTED", 1)}

    execution = settle(execution_id)
    assert execution.state == "RETRYING"
    due(execution, ago=timedelta(0))
    flow_retry.flow_retry_perform(execution_id=execution_id)  # what the delayed message does
    execution = settle(execution_id)
    assert (execution.state, execution.attempt_number) == ("SUCCESS", 3)
    assert task_states(execution_id) == {"first": ("SUCCESS", 1), "gate": ("SUCCESS", 3)}
    assert [entry["state"] for entry in execution.state_history] == [
        "CREATED", "RUNNING", "RETRYING", "RESTARTED", "RUNNING", "RETRYING", "RESTARTED", "RUNNING", "SUCCESS",
    ]  # fmt: skip
    assert "system.restarted" not in {label["key"] for label in execution.labels}


def test_the_last_allowed_attempt_failing_fails_the_execution(api):
    execution_id = start(api, attempts=2)
    due(settle(execution_id))
    flow_retry.flow_retry_perform(execution_id=execution_id)
    execution = settle(execution_id)
    assert (execution.state, execution.attempt_number, execution.retry_at) == ("FAILED", 2, None)
    assert task_states(execution_id)["gate"] == ("FAILED", 2)


def test_create_new_execution_ends_the_execution_retried_and_starts_a_new_one(api):
    execution_id = start(api, behavior="CREATE_NEW_EXECUTION", condition="{{ execution.originalId == execution.id }}")
    execution = settle(execution_id)
    assert (execution.state, execution.ended_at is not None) == ("RETRIED", True)
    assert api.get(f"/api/v1/executions/{execution_id}").json()["state"]["current"] == "RETRIED"
    due(execution)
    assert recovery.executions_sweep()["flow_retries"] == 1
    flow_retry.flow_retry_perform(execution_id=execution_id)  # a late message finds it done
    (retry,) = Execution.objects.exclude(pk=execution_id)
    assert (retry.original_id, retry.parent_id, retry.attempt_number, retry.state) == (
        execution_id,
        execution_id,
        2,
        "CREATED",
    )
    assert settle(retry.id).state == "SUCCESS"
    assert task_states(retry.id) == {"first": ("SUCCESS", 1), "gate": ("SUCCESS", 1)}
    assert Execution.objects.get(pk=execution_id).retry_at is None


def test_an_execution_waiting_for_its_retry_can_be_killed_and_is_then_not_retried(api):
    execution_id = start(api)
    execution = settle(execution_id)
    response = api.delete(f"/api/v1/executions/{execution_id}/kill")
    assert response.status_code == 202
    assert Execution.objects.get(pk=execution_id).state == "KILLED"
    due(execution)
    assert recovery.executions_sweep()["flow_retries"] == 0
    assert Execution.objects.get(pk=execution_id).state == "KILLED"
    assert_problem(api.delete(f"/api/v1/executions/{execution_id}/kill"), 409, "conflict")
