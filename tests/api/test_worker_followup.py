"""What a worker does besides running the task: it advances the execution itself once the task run's outcome
is committed (the advance message being the fallback), and one thread per process keeps its attempts' leases."""

import threading
import time

import pytest
from django.utils import timezone

from executions import executor, worker
from executions.heartbeat import Heartbeat
from executions.models import TaskRun
from executions.transitions import task_run_transition
from flowhub.celery import app
from flowhub.engine.states import State
from namespaces.models import FlowRevision
from tests.engine.flows import HELLO

from .helpers import RUNS_TASKS_ON_THIS_PROCESS, YAML


def sent_messages() -> list[tuple[str, list[str]]]:
    """The messages waiting in the (in-memory) broker's queues, taken out: (task name, arguments)."""
    messages = []
    with app.connection_for_read() as connection:
        for name in ("executor", "worker"):
            queue = connection.SimpleQueue(name)
            while queue.qsize():
                message = queue.get(block=False)
                messages.append((message.headers["task"], message.payload[0]))
                message.ack()
            queue.close()
    return messages


@pytest.fixture
def greet(api) -> TaskRun:
    """The first task run of a started execution of HELLO (greet, then answer), the broker emptied."""
    assert api.post("/api/v1/flows", HELLO, content_type=YAML).status_code == 200
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    sent_messages()
    return TaskRun.objects.get(execution_id=execution_id, task_id="greet")


def states(execution_id: str) -> list[tuple[str, str]]:
    return list(TaskRun.objects.filter(execution_id=execution_id).values_list("task_id", "state"))


def test_once_the_outcome_is_committed_the_worker_advances_the_execution_itself(
    greet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        worker.task_run_execute(task_run_id=greet.id, worker_id="w")
    assert states(greet.execution_id) == [("greet", "SUCCESS"), ("answer", "CREATED")]
    answer = TaskRun.objects.get(execution_id=greet.execution_id, task_id="answer")
    assert sent_messages() == [("executions.run_task", [answer.id])]  # no advance message: it is done


def test_when_the_worker_cannot_advance_the_execution_it_sends_the_advance_message(
    greet, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks() as callbacks:
        worker.task_run_execute(task_run_id=greet.id, worker_id="w")
    # Between the commit and the advance, the flow's source stops parsing: the advance raises.
    FlowRevision.objects.filter(executions=greet.execution_id).update(source="tasks: [")
    for callback in callbacks:
        callback()
    assert states(greet.execution_id) == [("greet", "SUCCESS")]
    assert sent_messages() == [("executions.advance", [greet.execution_id])]
    assert f"execution {greet.execution_id}: not advanced in the worker; sent to the executor" in caplog.text


def wait_until(condition, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@RUNS_TASKS_ON_THIS_PROCESS
def test_the_heartbeat_thread_outlives_an_error_that_is_not_the_databases(api, settings, django_db_blocker):
    settings.FLOWHUB_TASK_LEASE_SECONDS = 6  # a beat every second
    assert api.post("/api/v1/flows", HELLO, content_type=YAML).status_code == 200
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    run = TaskRun.objects.get(execution_id=execution_id, task_id="greet")
    task_run_transition(run, State.RUNNING, worker_id="w", started_at=timezone.now(), attempt=1)
    with Heartbeat(run.id, threading.Event()):
        with django_db_blocker.block():  # pytest-django refuses every thread a query: a RuntimeError
            time.sleep(2.5)  # more than two rounds of the thread fail
        TaskRun.objects.filter(pk=run.id).update(heartbeat_at=None)
        assert wait_until(TaskRun.objects.filter(pk=run.id, heartbeat_at__isnull=False).exists)


@RUNS_TASKS_ON_THIS_PROCESS
def test_one_thread_per_process_stamps_every_running_attempt_and_stops_the_killed_one(api, settings):
    settings.FLOWHUB_TASK_LEASE_SECONDS = 6  # a beat every second
    assert api.post("/api/v1/flows", HELLO, content_type=YAML).status_code == 200
    runs = []
    for _ in range(2):
        execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
        executor.execution_advance(execution_id=execution_id)
        run = TaskRun.objects.get(execution_id=execution_id, task_id="greet")
        task_run_transition(run, State.RUNNING, worker_id="w", started_at=timezone.now(), attempt=1)
        runs.append(run)
    stops = [threading.Event(), threading.Event()]
    with Heartbeat(runs[0].id, stops[0]), Heartbeat(runs[1].id, stops[1]):
        assert [thread.name for thread in threading.enumerate()].count("heartbeat") == 1
        stamped = TaskRun.objects.filter(pk__in=[run.id for run in runs], heartbeat_at__isnull=False)
        assert wait_until(lambda: stamped.count() == 2)
        task_run_transition(runs[0], State.KILLING)
        assert wait_until(stops[0].is_set)
        assert not stops[1].is_set()
