"""Kestra's own Python client, kestrapy, against flowhub: the calls of the quick start, unchanged."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import kestrapy
import pytest
import requests
from kestrapy.models import StateType

from tests.e2e.conftest import EMBEDDED_ADMIN
from tests.e2e.quickstart import HELLO
from tests.engine.flows import HELLO as HELLO_WITH_OUTPUTS

from .corpus import CORPUS

pytestmark = pytest.mark.embedded

T = TypeVar("T")


def test_kestrapy_creates_runs_and_reads_a_flow(embedded):
    _, base_url, _ = embedded
    client = kestrapy.KestraClient(host=base_url, username=EMBEDDED_ADMIN[0], password=EMBEDDED_ADMIN[1])

    flow = client.flows.create_flow(tenant="main", body=HELLO)
    assert (flow.id, flow.namespace, flow.revision, flow.source) == ("hello", "acme.sales", 1, HELLO)
    assert client.flows.flow(namespace="acme.sales", id="hello", tenant="main").revision == 1

    created = client.executions.create_execution(
        tenant="main", namespace="acme.sales", id="hello", labels=["team:compat"], inputs={"name": "Kestrapy"}
    )
    assert created.state.current.value == "CREATED"
    followed = within(60, client.executions.follow_execution(execution_id=created.id, tenant="main"))
    assert followed[0].id == created.id, "the `start` event"
    assert followed[-1].state.current.value == "SUCCESS", "the `end` event, after which the stream closed"
    execution = client.executions.execution(execution_id=created.id, tenant="main")
    assert execution.state.current.value == "SUCCESS"
    assert [(run.task_id, run.state.current.value) for run in execution.task_run_list] == [
        ("greet", "SUCCESS"),
        ("answer", "SUCCESS"),
    ]
    assert {(label.key, label.value) for label in execution.labels} >= {("team", "compat")}

    logs = client.logs.list_logs_from_execution(execution_id=created.id, tenant="main")
    assert [log.message for log in logs] == ["Hello, Kestrapy!"]
    streamed = within(60, client.logs.follow_logs_from_execution(execution_id=created.id, tenant="main"))
    assert [log.message for log in streamed] == [None, "Hello, Kestrapy!"], "an empty `start`, then the line"

    # kestrapy's `token=` with a flowhub API token narrowed to running acme.sales's flows
    made = requests.post(
        f"{base_url}/api/v1/tokens",
        json={"name": "kestrapy", "bindings": [{"namespace": "acme.sales", "role": "executor"}]},
        auth=EMBEDDED_ADMIN,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    scoped = kestrapy.KestraClient(host=base_url, token=made.json()["token"])
    run = scoped.executions.create_execution(tenant="main", namespace="acme.sales", id="hello", wait=True)
    assert run.state.current.value == "SUCCESS"
    with pytest.raises(kestrapy.ApiException) as refused:
        scoped.flows.create_flow(tenant="main", body=HELLO.replace("acme.sales", "acme.other"))
    assert refused.value.status == 403


def within(seconds: float, stream: Iterator[T]) -> list[T]:
    """Everything a stream yields until it closes, failing if that takes longer than `seconds`."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(list, stream).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)


def test_kestrapy_saves_and_reads_back_every_flow_of_the_corpus(embedded):
    _, base_url, _ = embedded
    client = kestrapy.KestraClient(host=base_url, username=EMBEDDED_ADMIN[0], password=EMBEDDED_ADMIN[1])
    for path in CORPUS:
        source = path.read_bytes().decode()
        created = client.flows.create_flow(tenant="main", body=source)
        assert created.source == source
        read = client.flows.flow(namespace=created.namespace, id=created.id, tenant="main", source=True)
        assert (read.revision, read.source) == (1, source)


def test_kestrapy_sets_reads_lists_and_deletes_kv_pairs(embedded):
    _, base_url, _ = embedded
    client = kestrapy.KestraClient(host=base_url, username=EMBEDDED_ADMIN[0], password=EMBEDDED_ADMIN[1])
    kv = client.kv
    kv.set_key_value(namespace="compat.kv", key="greeting", tenant="main", body="hello world")
    kv.set_key_value(namespace="compat.kv", key="limits", tenant="main", body='{"daily": 5}')
    kv.set_key_value(namespace="compat", key="inherited", tenant="main", body="42")

    greeting = kv.key_value(namespace="compat.kv", key="greeting", tenant="main")
    assert (greeting.type.value, greeting.value, greeting.revision) == ("STRING", "hello world", 1)
    assert kv.key_value(namespace="compat.kv", key="limits", tenant="main").value == {"daily": 5}

    listed = kv.list_all_keys(tenant="main", sort=["key:asc"])
    assert listed.total == 3
    assert [entry.key for entry in listed.results] == ["greeting", "inherited", "limits"]
    inherited = kv.list_keys_with_inheritance(namespace="compat.kv", tenant="main")
    assert [(entry.namespace, entry.key) for entry in inherited] == [("compat", "inherited")]

    assert kv.delete_key_value(namespace="compat.kv", key="greeting", tenant="main") is True
    request = kestrapy.models.kv_controller_api_delete_bulk_request.KVControllerApiDeleteBulkRequest(
        keys=["limits", "ghost"]
    )
    assert kv.delete_key_values(namespace="compat.kv", tenant="main", request=request).keys == ["limits"]


def test_kestrapy_waits_for_searches_and_deletes_executions(embedded):
    _, base_url, _ = embedded
    client = kestrapy.KestraClient(host=base_url, username=EMBEDDED_ADMIN[0], password=EMBEDDED_ADMIN[1])
    client.flows.create_flow(tenant="main", body=HELLO_WITH_OUTPUTS)
    executions = client.executions

    ended = executions.create_execution(
        tenant="main", namespace="acme.sales", id="hello", wait=True, labels=["via:kestrapy"], inputs={"name": "Wait"}
    )
    assert ended.state.current.value == "SUCCESS"
    assert client.outputs.execution_outputs(execution_id=ended.id, tenant="main") == {"shout": "WAIT"}
    (answer,) = [run for run in ended.task_run_list if run.task_id == "answer"]
    assert client.outputs.task_run_outputs(execution_id=ended.id, task_run_id=answer.id, tenant="main") == {
        "value": "WAIT"
    }
    other = executions.create_execution(tenant="main", namespace="acme.sales", id="hello", wait=True)

    found = executions.search_executions(
        tenant="main",
        sort=["state.startDate:asc"],
        filters=[
            {"field": "namespace", "operation": "PREFIX", "value": "acme"},
            {"field": "state", "operation": "IN", "value": ["SUCCESS", "FAILED"]},
        ],
    )
    assert found["total"] == 2 and [item["id"] for item in found["results"]] == [ended.id, other.id]
    labelled = executions.search_executions(
        tenant="main", filters=[{"field": "labels", "operation": "EQUALS", "value": {"via": "kestrapy"}}]
    )
    assert [item["id"] for item in labelled["results"]] == [ended.id]

    changed = executions.update_execution_status(execution_id=other.id, status=StateType.FAILED, tenant="main")
    assert (changed.id, changed.state.current.value) == (other.id, "FAILED")
    bulk = executions.update_executions_status_by_ids(tenant="main", new_status=StateType.WARNING, ids=[other.id])
    assert bulk == {"count": 1}
    assert executions.execution(execution_id=other.id, tenant="main").state.current.value == "WARNING"
    latest = executions.latest_executions(tenant="main", filters=[{"namespace": "acme.sales", "id": "hello"}])
    assert [(item.id, item.status.value) for item in latest] == [(other.id, "WARNING")]
    ran = executions.flow_from_execution_by_id(execution_id=other.id, tenant="main")
    assert (ran.id, ran.revision, [task.id for task in ran.tasks]) == ("hello", 1, ["greet", "answer"])
    client.logs.delete_logs_from_flow(namespace="acme.sales", flow_id="hello", trigger_id="nightly", tenant="main")
    assert len(client.logs.list_logs_from_execution(execution_id=other.id, tenant="main")) == 1, "not triggered"

    executions.delete_execution(execution_id=ended.id, tenant="main", delete_logs=True, delete_storage=True)
    remaining = executions.search_executions_by_flow_id(tenant="main", namespace="acme.sales", flow_id="hello")
    assert [item["id"] for item in remaining["results"]] == [other.id]
    with pytest.raises(kestrapy.exceptions.ApiException) as missing:
        executions.execution(execution_id=ended.id, tenant="main")
    assert missing.value.status == 404


GATED = """\
id: gated
namespace: compat.queue
concurrency:
  limit: 1
  behavior: QUEUE
tasks:
  - id: gate
    type: io.kestra.plugin.core.flow.Pause
"""


def test_kestrapy_unqueues_and_forces_executions_of_a_limited_flow(embedded):
    _, base_url, _ = embedded
    client = kestrapy.KestraClient(host=base_url, username=EMBEDDED_ADMIN[0], password=EMBEDDED_ADMIN[1])
    client.flows.create_flow(tenant="main", body=GATED)
    executions = client.executions

    def start(state: str) -> str:
        execution_id = executions.create_execution(tenant="main", namespace="compat.queue", id="gated").id
        reached(execution_id, state)
        return execution_id

    def reached(execution_id: str, state: str) -> None:
        deadline = time.monotonic() + 60
        while executions.execution(execution_id=execution_id, tenant="main").state.current.value != state:
            assert time.monotonic() < deadline, f"{execution_id} not {state} after 60 s"
            time.sleep(0.1)

    first = start("PAUSED")  # holds the only slot while its Pause task waits
    cancelled, forced, failed = start("QUEUED"), start("QUEUED"), start("QUEUED")

    unqueued = executions.unqueue_execution(execution_id=cancelled, tenant="main", state=StateType.CANCELLED)
    assert (unqueued.id, unqueued.state.current.value) == (cancelled, "CANCELLED")
    assert executions.force_run_execution(execution_id=forced, tenant="main").state.current.value == "RUNNING"
    reached(forced, "PAUSED")  # it ran, past the limit, up to its own Pause task
    gated = [{"field": "flowId", "operation": "EQUALS", "value": "gated"}]
    assert executions.unqueue_executions_by_query(tenant="main", new_state=StateType.FAILED, filters=gated) == {
        "count": 1
    }
    assert executions.execution(execution_id=failed, tenant="main").state.current.value == "FAILED"

    assert executions.force_run_by_ids(tenant="main", ids=[first, forced, cancelled]) == {"count": 2}
    reached(first, "SUCCESS")
    reached(forced, "SUCCESS")
    assert executions.unqueue_executions_by_ids(tenant="main", state=StateType.RUNNING, ids=[first]) == {"count": 0}
    assert executions.force_run_executions_by_query(tenant="main", filters=gated) == {"count": 0}


def test_kestrapy_disables_and_deletes_a_trigger(embedded):
    _, base_url, _ = embedded
    client = kestrapy.KestraClient(host=base_url, username=EMBEDDED_ADMIN[0], password=EMBEDDED_ADMIN[1])
    flow = HELLO.replace("id: hello", "id: scheduled", 1) + (
        "triggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 * * * *'\n"
    )
    client.flows.create_flow(tenant="main", body=flow)
    ref = {"namespace": "acme.sales", "flowId": "scheduled", "triggerId": "hourly"}

    assert client.triggers.disable_trigger_by_id(tenant="main", request={**ref, "disabled": True})["disabled"] is True
    assert (
        client.triggers.delete_trigger(tenant="main", namespace="acme.sales", flow_id="scheduled", trigger_id="hourly")
        is None
    )
    listed = client.triggers.search_triggers_for_flow(tenant="main", namespace="acme.sales", flow_id="scheduled")
    assert [(row["triggerId"], row["disabled"]) for row in listed["results"]] == [("hourly", False)], "reset, kept"
    assert client.triggers.delete_triggers_by_ids(tenant="main", trigger_ids=[ref]) == {"count": 1}
