"""Task retries through the worker: RETRYING between attempts, counted in the database, warningOnRetry."""

from datetime import timedelta

from django.utils import timezone

from executions import executor, recovery, worker
from executions.heartbeat import lease
from executions.models import LogEntry, TaskRun
from executions.transitions import task_run_transition
from flowhub.engine.states import State

from .helpers import YAML

FLAKY = """\
id: flaky
namespace: acme
tasks:
  - id: shaky
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{{{ taskrun.attemptsCount < {failures} }}}}"
    retry:
      type: constant
      interval: PT30S
      maxAttempt: 3
      warningOnRetry: {warning}
"""


def start(api, failures: int, warning: bool = False) -> str:
    api.post("/api/v1/flows", FLAKY.format(failures=failures, warning=str(warning).lower()), content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme/flaky", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    return execution_id


def attempt(execution_id: str) -> TaskRun:
    """Run the task's next attempt, its retry time brought forward, as the sweep or a delayed message would."""
    run = TaskRun.objects.get(execution_id=execution_id)
    if run.state == "RETRYING":
        assert run.retry_at - timezone.now() > timedelta(seconds=25)
        TaskRun.objects.filter(pk=run.pk).update(retry_at=timezone.now())
    worker.task_run_execute(task_run_id=run.id, worker_id="w")
    executor.execution_advance(execution_id=execution_id)
    run.refresh_from_db()
    return run


def test_a_failing_attempt_is_retried_and_the_task_succeeds_on_a_later_one(api):
    execution_id = start(api, failures=2)
    assert (attempt(execution_id).state, attempt(execution_id).state) == ("RETRYING", "RETRYING")
    run = attempt(execution_id)
    assert (run.state, run.attempt) == ("SUCCESS", 3)
    assert [entry["state"] for entry in run.state_history] == [
        "CREATED", "RUNNING", "RETRYING", "RUNNING", "RETRYING", "RUNNING", "SUCCESS",
    ]  # fmt: skip
    assert run.execution.state == "SUCCESS"
    warnings = LogEntry.objects.filter(level="WARN").values_list("message", flat=True)
    assert list(warnings) == ["attempt 1 failed; attempt 2 in 0:00:30", "attempt 2 failed; attempt 3 in 0:00:30"]


def test_the_last_allowed_attempt_failing_fails_the_task(api):
    execution_id = start(api, failures=5)
    for _ in range(2):
        attempt(execution_id)
    run = attempt(execution_id)
    assert (run.state, run.attempt, run.execution.state) == ("FAILED", 3, "FAILED")


def test_warning_on_retry_marks_a_success_that_needed_retries(api):
    execution_id = start(api, failures=1, warning=True)
    attempt(execution_id)
    assert attempt(execution_id).state == "WARNING"


def test_a_retry_not_yet_due_is_not_claimed_and_the_sweep_resends_a_late_one(api):
    execution_id = start(api, failures=5)
    run = attempt(execution_id)
    worker.task_run_execute(task_run_id=run.id, worker_id="early")
    run.refresh_from_db()
    assert (run.state, run.attempt) == ("RETRYING", 1)
    TaskRun.objects.filter(pk=run.pk).update(retry_at=timezone.now() - timedelta(seconds=10))
    assert recovery.executions_sweep()["task_runs"] == 1


def test_a_lost_worker_s_attempt_is_retried_as_the_policy_allows(api):
    execution_id = start(api, failures=5)
    run = TaskRun.objects.get(execution_id=execution_id)
    worker.task_run_execute(task_run_id=run.id, worker_id="w")  # attempt 1 fails: RETRYING
    TaskRun.objects.filter(pk=run.pk).update(retry_at=timezone.now())
    run.refresh_from_db()
    task_run_transition(run, State.RUNNING, attempt=2, worker_id="gone:1", started_at=timezone.now())
    assert recovery.task_runs_reap(now=timezone.now() + lease() + timedelta(seconds=1)) == 1
    run.refresh_from_db()
    assert run.state == "RETRYING"
    (lost,) = LogEntry.objects.filter(message__startswith="worker lost").values_list("message", flat=True)
    assert lost.endswith("; attempt 3 in 0:00:30")


SLOW = """\
id: slow
namespace: acme
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT30S
    timeout: PT0.5S
"""


def test_an_attempt_past_its_timeout_is_stopped_and_fails(api):
    api.post("/api/v1/flows", SLOW, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme/slow", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    run = TaskRun.objects.get(execution_id=execution_id)
    began = timezone.now()
    worker.task_run_execute(task_run_id=run.id, worker_id="w")
    assert timezone.now() - began < timedelta(seconds=10)  # stopped, not slept through
    run.refresh_from_db()
    assert run.state == "FAILED"
    (line,) = LogEntry.objects.filter(task_run=run).values_list("message", flat=True)
    assert line == "timed out: the attempt ran past its timeout of PT0.5S"
