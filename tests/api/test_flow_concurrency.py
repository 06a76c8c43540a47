"""A flow's concurrency limit: executions beyond it are queued (and start in order), cancelled or failed."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from executions import executor, recovery, worker
from executions.concurrency import executions_dequeue
from executions.dispatch import ADVANCE, RUN_TASK
from executions.models import Execution, LogEntry, TaskRun
from executions.services import execution_create
from flowhub.engine.states import TERMINAL, State
from namespaces.models import Flow
from namespaces.services import flow_create

from .broker import Broker
from .helpers import YAML, assert_problem

LIMITED = """\
id: limited
namespace: acme
concurrency:
  limit: {limit}
  behavior: {behavior}
tasks:
  - id: work
    type: io.kestra.plugin.core.log.Log
    message: working
"""


@pytest.fixture
def broker(django_capture_on_commit_callbacks):
    return Broker(django_capture_on_commit_callbacks)


def limited(api, behavior="QUEUE", limit=1):
    source = LIMITED.format(limit=limit, behavior=behavior)
    assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200


def trigger(api, broker, times: int) -> list[str]:
    """Trigger the flow `times` times, then deliver the advance messages: each execution starts or not."""
    ids = []
    for _ in range(times):
        with broker.capture(execute=True):
            ids.append(api.post("/api/v1/executions/acme/limited", {}, format="multipart").json()["id"])
    assert broker.deliver(ADVANCE) == ids
    return ids


def states(ids: list[str]) -> list[str]:
    return [Execution.objects.get(pk=execution_id).state for execution_id in ids]


def history(execution_id: str) -> list[str]:
    return [entry["state"] for entry in Execution.objects.get(pk=execution_id).state_history]


def test_queued_executions_start_one_by_one_in_order_as_the_running_one_ends(api, broker):
    limited(api)
    first, second, third = trigger(api, broker, 3)
    assert states([first, second, third]) == ["RUNNING", "QUEUED", "QUEUED"]
    assert list(LogEntry.objects.filter(execution_id=second).values_list("level", "message")) == [
        (
            "INFO",
            "queued: the flow's concurrency limit of 1 running executions is reached; it starts once a slot frees",
        )
    ]
    broker.deliver(RUN_TASK)  # the first's task ends; its worker's advance ends it and starts the next
    assert broker.sent(ADVANCE) == [second]  # the dequeued one
    with broker.capture(execute=True):
        executor.execution_advance(execution_id=third)  # a message for the third, arriving first: it waits its turn
        executor.execution_advance(execution_id=second)
    assert states([first, second, third]) == ["SUCCESS", "RUNNING", "QUEUED"]
    broker.deliver(RUN_TASK)
    broker.deliver(ADVANCE)
    assert states([first, second, third]) == ["SUCCESS", "SUCCESS", "RUNNING"]
    broker.deliver(RUN_TASK)
    broker.deliver(ADVANCE)
    assert states([first, second, third]) == ["SUCCESS"] * 3
    assert history(first) == ["CREATED", "RUNNING", "SUCCESS"]
    assert history(second) == history(third) == ["CREATED", "QUEUED", "RUNNING", "SUCCESS"]
    spans = [Execution.objects.get(pk=execution_id) for execution_id in (first, second, third)]
    assert spans[0].ended_at <= spans[1].started_at and spans[1].ended_at <= spans[2].started_at


@pytest.mark.parametrize(
    ("behavior", "state", "level", "message"),
    [
        ("CANCEL", "CANCELLED", "WARN", "cancelled: the flow's concurrency limit of 1 running executions is reached"),
        ("FAIL", "FAILED", "ERROR", "failed: the flow's concurrency limit of 1 running executions is reached"),
    ],
)
def test_beyond_the_limit_an_execution_is_cancelled_or_failed_at_once_saying_why(
    api, broker, behavior, state, level, message
):
    limited(api, behavior)
    first, second = trigger(api, broker, 2)
    assert states([first, second]) == ["RUNNING", state]
    assert history(second) == ["CREATED", state]
    assert not TaskRun.objects.filter(execution_id=second).exists()
    (line,) = LogEntry.objects.filter(execution_id=second)
    assert (line.level, line.message) == (level, f"{message} (behavior {behavior})")
    body = api.get(f"/api/v1/executions/{second}").json()
    assert body["state"]["current"] == state and "endDate" in body["state"]
    broker.deliver(RUN_TASK)
    broker.deliver(ADVANCE)
    assert states([first, second]) == ["SUCCESS", state]
    third = trigger(api, broker, 1)[0]  # the slot is free again
    assert states([third]) == ["RUNNING"]


def test_killing_a_queued_execution_ends_it_killed_and_the_next_one_takes_its_turn(api, broker):
    limited(api)
    first, second, third = trigger(api, broker, 3)
    with broker.capture(execute=True):
        response = api.delete(f"/api/v1/executions/{second}/kill")
    assert response.status_code == 202
    assert history(second) == ["CREATED", "QUEUED", "KILLED"]
    assert broker.deliver(ADVANCE) == [second]  # its own advance: it has ended; no slot was free to give
    broker.deliver(RUN_TASK)
    broker.deliver(ADVANCE)
    assert states([first, second, third]) == ["SUCCESS", "KILLED", "RUNNING"]
    assert_problem(api.delete(f"/api/v1/executions/{second}/kill"), 409, "conflict")


def test_the_latest_revision_s_limit_applies_to_executions_already_queued(api, broker):
    limited(api)
    first, second, third = trigger(api, broker, 3)
    source = LIMITED.format(limit=2, behavior="QUEUE")
    assert api.put("/api/v1/flows/acme/limited", source, content_type=YAML).status_code == 200
    assert executions_dequeue(namespace="acme", flow_id="limited") == [second]
    broker.deliver(ADVANCE)
    assert states([first, second, third]) == ["RUNNING", "RUNNING", "QUEUED"]
    without_limit = source.replace("concurrency:\n  limit: 2\n  behavior: QUEUE\n", "")
    assert api.put("/api/v1/flows/acme/limited", without_limit, content_type=YAML).status_code == 200
    assert executions_dequeue(namespace="acme", flow_id="limited") == [third]
    broker.deliver(ADVANCE)
    assert states([first, second, third]) == ["RUNNING"] * 3


def test_the_sweep_starts_a_queued_execution_whose_message_was_lost_once_a_slot_is_free(api, broker):
    limited(api)
    first, second = trigger(api, broker, 2)
    broker.deliver(RUN_TASK)
    with broker.capture(execute=True):
        executor.execution_advance(execution_id=first)
    broker.sent(ADVANCE)  # lost: the worker's message and the one that would start the second
    long_ago = timezone.now() - timedelta(minutes=1)
    assert recovery.executions_sweep()["queued"] == 0  # queued too recently to be the sweep's business
    Execution.objects.filter(pk=second).update(updated_at=long_ago)
    assert recovery.executions_sweep()["queued"] == 1
    assert broker.deliver(ADVANCE) == [second]
    assert states([first, second]) == ["SUCCESS", "RUNNING"]
    assert recovery.executions_sweep()["queued"] == 0


def test_a_queued_execution_is_not_swept_while_no_slot_is_free(api, broker):
    limited(api)
    _, second = trigger(api, broker, 2)
    Execution.objects.filter(pk=second).update(updated_at=timezone.now() - timedelta(minutes=1))
    assert recovery.executions_sweep()["queued"] == 0
    assert states([second]) == ["QUEUED"]


@pytest.mark.parametrize(
    ("concurrency", "path", "detail"),
    [
        ("  limit: 1\n  behavior: WAIT\n", "concurrency.behavior", "must be 'QUEUE', 'CANCEL' or 'FAIL'"),
        ("  limit: 0\n", "concurrency.limit", "must be greater than or equal to 1"),
    ],
)
def test_a_bad_concurrency_is_refused_naming_the_field(api, concurrency, path, detail):
    source = LIMITED.format(limit=1, behavior="QUEUE").replace("  limit: 1\n  behavior: QUEUE\n", concurrency)
    body = assert_problem(api.post("/api/v1/flows", source, content_type=YAML), 422, "invalid-entity")
    assert [(error["path"], error["detail"]) for error in body["errors"]] == [(path, detail)]
    assert not Flow.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_executions_started_at_once_by_parallel_executors_never_run_beyond_the_limit():
    sleeping = "type: io.kestra.plugin.core.flow.Sleep\n    duration: PT0.5S"
    source = LIMITED.format(limit=2, behavior="QUEUE").replace(
        "type: io.kestra.plugin.core.log.Log\n    message: working", sleeping
    )
    flow = flow_create(source=source)
    ids = [execution_create(flow=flow, inputs={}, labels=[]).id for _ in range(8)]
    start = threading.Barrier(len(ids))

    def drive(execution_id: str) -> str:
        """An executor and a worker for one execution, with no broker: advance it until it ends."""
        try:
            start.wait()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                executor.execution_advance(execution_id=execution_id)
                for run_id in TaskRun.objects.filter(execution_id=execution_id, state=State.CREATED).values_list(
                    "id", flat=True
                ):
                    worker.task_run_execute(task_run_id=run_id, worker_id="w")
                state = Execution.objects.get(pk=execution_id).state
                if State(state) in TERMINAL:
                    return state
                time.sleep(0.02)
            return "still running"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        assert list(pool.map(drive, ids)) == ["SUCCESS"] * len(ids)
    executions = Execution.objects.filter(pk__in=ids)
    spans = [(execution.started_at, execution.ended_at) for execution in executions]
    most_at_once = max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)
    assert most_at_once <= 2
    assert any("QUEUED" in history(execution.id) for execution in executions)
