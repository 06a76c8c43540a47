"""Crash recovery in the database: the reaper ends attempts whose worker is gone; the sweep re-sends lost messages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from executions import executor, recovery, worker
from executions.heartbeat import lease
from executions.models import Execution, LogEntry, TaskRun
from executions.tasks import reap
from executions.transitions import task_run_transition
from flowhub.engine.states import State
from tests.engine.flows import HELLO

from .drive import run_to_end
from .helpers import YAML


@pytest.fixture
def running(api) -> TaskRun:
    """The first task run of an execution, claimed by a worker at `started_at` and never heard of since."""
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    run = TaskRun.objects.get(execution_id=execution_id)
    task_run_transition(run, State.RUNNING, worker_id="gone:42", started_at=timezone.now(), attempt=1)
    return run


def test_an_attempt_within_its_lease_is_left_alone(running):
    assert recovery.task_runs_reap(now=timezone.now() + lease() - timedelta(seconds=1)) == 0
    running.refresh_from_db()
    assert running.state == "RUNNING"


def test_an_attempt_past_its_lease_fails_as_worker_lost_and_the_execution_ends(running):
    assert recovery.task_runs_reap(now=timezone.now() + lease() + timedelta(seconds=1)) == 1
    running.refresh_from_db()
    assert running.state == "FAILED"
    (line,) = LogEntry.objects.filter(task_run=running).values_list("message", flat=True)
    assert line == "worker lost: no heartbeat from gone:42 within 30 s"
    assert run_to_end(running.execution_id).state == "FAILED"


def test_a_recent_heartbeat_renews_the_lease(running):
    later = timezone.now() + lease()
    TaskRun.objects.filter(pk=running.pk).update(heartbeat_at=later)
    assert recovery.task_runs_reap(now=later + timedelta(seconds=1)) == 0


def test_a_killed_attempt_whose_worker_is_gone_ends_killed(api, running):
    api.delete(f"/api/v1/executions/{running.execution_id}/kill")
    TaskRun.objects.filter(pk=running.pk).update(started_at=timezone.now() - lease() * 2)
    assert reap() == 1  # the task celery beat runs
    running.refresh_from_db()
    assert running.state == "KILLED"
    executor.execution_advance(execution_id=running.execution_id)
    assert Execution.objects.get(pk=running.execution_id).state == "KILLED"


def test_the_sweep_resends_advance_for_an_execution_whose_flowable_waits_on_ended_work(api):
    source = HELLO.replace(
        "tasks:\n",
        "tasks:\n  - id: group\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n"
        "      - id: inner\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n",
    )
    api.post("/api/v1/flows", source, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    inner = TaskRun.objects.get(task_id="inner")
    worker.task_run_execute(task_run_id=inner.id, worker_id="w")  # its advance message is "lost"
    assert TaskRun.objects.get(task_id="group").state == "RUNNING"
    Execution.objects.filter(pk=execution_id).update(updated_at=timezone.now() - timedelta(minutes=1))
    assert recovery.executions_sweep() == {
        "task_runs": 0,
        "executions": 1,
        "queued": 0,
        "pauses": 0,
        "subflows": 0,
        "flow_retries": 0,
    }
