"""Subflows over HTTP with real workers: a chain of three executions passing outputs up, and a kill going down."""

import time

import pytest

from .conftest import REDIS_ONLY, running_task

pytestmark = [pytest.mark.distributed, REDIS_ONLY]

LEAF = """\
id: leaf
namespace: acme.e2e
inputs:
  - id: word
    type: STRING
tasks:
  - id: shout
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.word | upper }}"
outputs:
  - id: loud
    type: STRING
    value: "{{ outputs.shout.value }}"
"""
MIDDLE = """\
id: middle
namespace: acme.e2e
inputs:
  - id: word
    type: STRING
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: acme.e2e
    flowId: leaf
    inputs:
      word: "{{ inputs.word }}!"
outputs:
  - id: loud
    type: STRING
    value: "{{ outputs.call.outputs.loud }}"
"""
TOP = """\
id: top
namespace: acme.e2e
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: acme.e2e
    flowId: middle
    inputs:
      word: hello
  - id: report
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.call.outputs.loud }} via {{ outputs.call.executionId }}"
"""


def outputs_of(execution, task_id):
    return next(run["outputs"] for run in execution["taskRunList"] if run["taskId"] == task_id)


def test_a_chain_of_subflows_passes_its_outputs_up(stack):
    api, _ = stack
    for source in (LEAF, MIDDLE, TOP):
        assert api.create_flow(source).status_code == 200
    top = api.wait_for_end(api.trigger("acme.e2e", "top").json()["id"])
    assert top["state"]["current"] == "SUCCESS", top
    middle_id = outputs_of(top, "call")["executionId"]
    assert outputs_of(top, "call") == {"executionId": middle_id, "state": "SUCCESS", "outputs": {"loud": "HELLO!"}}
    assert outputs_of(top, "report") == {"value": f"HELLO! via {middle_id}"}
    middle = api.execution(middle_id)
    leaf = api.execution(outputs_of(middle, "call")["executionId"])
    assert (middle["parentId"], leaf["parentId"]) == (top["id"], middle_id)
    assert leaf["trigger"]["variables"] == {
        "executionId": middle_id, "namespace": "acme.e2e", "flowId": "middle", "flowRevision": 1,
    }  # fmt: skip
    assert {"key": "system.correlationId", "value": top["id"]} in leaf["labels"]
    assert (leaf["state"]["current"], leaf["outputs"]) == ("SUCCESS", {"loud": "HELLO!"})


NAPPER = """\
id: napper
namespace: acme.e2e
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT60S
"""
CALLER = """\
id: caller
namespace: acme.e2e
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: acme.e2e
    flowId: napper
"""


def child_of(api, execution_id):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = {run["taskId"]: run for run in api.execution(execution_id)["taskRunList"]}
        if child_id := runs.get("call", {}).get("outputs", {}).get("executionId"):
            return child_id
        time.sleep(0.1)
    raise AssertionError("the subflow never started its execution")


def test_killing_the_parent_over_http_kills_its_running_child(stack, database_url):
    api, _ = stack
    for source in (NAPPER, CALLER):
        assert api.create_flow(source).status_code == 200
    parent_id = api.trigger("acme.e2e", "caller").json()["id"]
    child_id = child_of(api, parent_id)
    running_task(database_url, child_id)
    assert api.session.delete(f"{api.base}/executions/{parent_id}/kill").status_code == 202
    parent = api.wait_for_end(parent_id, timeout=30)
    child = api.wait_for_end(child_id, timeout=30)
    assert (parent["state"]["current"], child["state"]["current"]) == ("KILLED", "KILLED")
    assert [(run["taskId"], run["state"]["current"]) for run in parent["taskRunList"]] == [("call", "KILLED")]
    assert [(run["taskId"], run["state"]["current"]) for run in child["taskRunList"]] == [("nap", "KILLED")]
