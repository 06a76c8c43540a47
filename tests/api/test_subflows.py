"""Subflow tasks: the child execution each starts, its end passed up, kill cascading down, runaway nesting stopped."""

import pytest

from executions import executor, recovery, worker
from executions.models import Execution, LogEntry, TaskRun
from executions.subflows import subflow_child_ended
from executions.transitions import execution_transition
from flowhub.engine.states import TERMINAL, State
from tests.engine.flows import NOT_RUNNABLE_DETAIL, NOT_RUNNABLE_TASK

from .helpers import YAML, assert_problem

CHILD = """\
id: child
namespace: acme.team
inputs:
  - id: n
    type: INT
  - id: fail
    type: BOOLEAN
    defaults: false
tasks:
  - id: double
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.n * 2 }}"
  - id: maybe_fail
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ inputs.fail }}"
outputs:
  - id: doubled
    type: INT
    value: "{{ outputs.double.value }}"
"""


def parent(call: str = "", child: str = "child", after: str = "") -> str:
    """A flow `acme.parent` whose task `call` runs the flow `acme.team.<child>`, with `call`'s extra properties."""
    return (
        "id: parent\nnamespace: acme\nlabels:\n  team: data\n"
        "inputs:\n  - id: fail\n    type: BOOLEAN\n    defaults: false\ntasks:\n"
        f"  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: acme.team\n    flowId: {child}\n"
        "    inputs:\n      n: 21\n      fail: '{{ inputs.fail }}'\n"
        + call
        + "  - id: report\n    type: io.kestra.plugin.core.debug.Return\n"
        "    format: \"{{ outputs.call.state ?? 'none' }}: {{ outputs.call.outputs.doubled ?? 'none' }}\"\n" + after
    )


def save(api, *sources: str) -> None:
    for source in sources:
        response = api.post("/api/v1/flows", source, content_type=YAML)
        assert response.status_code == 200, response.content


def trigger(api, namespace: str, flow_id: str, **inputs) -> str:
    response = api.post(f"/api/v1/executions/{namespace}/{flow_id}", inputs, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()["id"]


def step() -> None:
    """One round of what Celery would do: advance every execution not ended, run every task waiting for a worker."""
    for execution_id in Execution.objects.exclude(state__in=TERMINAL).values_list("id", flat=True):
        executor.execution_advance(execution_id=execution_id)
    for run_id in TaskRun.objects.filter(state=State.CREATED, on_worker=True).values_list("id", flat=True):
        worker.task_run_execute(task_run_id=run_id, worker_id="test-worker")


def run_tree_to_end(root_id: str, max_steps: int = 60) -> Execution:
    """Drive the execution and every execution its subflows start until the root has ended."""
    for _ in range(max_steps):
        step()
        root = Execution.objects.get(pk=root_id)
        if root.is_terminal:
            return root
    raise AssertionError(f"execution {root_id} did not finish in {max_steps} steps")


def runs(execution_id: str) -> dict[str, TaskRun]:
    return {run.task_id: run for run in TaskRun.objects.filter(execution_id=execution_id)}


def children_of(execution_id: str) -> list[Execution]:
    return list(Execution.objects.filter(parent_id=execution_id))


def errors(execution_id: str) -> list[str]:
    return list(LogEntry.objects.filter(execution_id=execution_id, level="ERROR").values_list("message", flat=True))


def test_a_subflow_waits_for_its_execution_and_passes_its_outputs_up(api):
    save(api, CHILD, parent("    labels:\n      caller: '{{ flow.id }}'\n"))
    parent_id = trigger(api, "acme", "parent")
    executor.execution_advance(execution_id=parent_id)
    call = runs(parent_id)["call"]
    (child,) = children_of(parent_id)
    assert (call.state, call.outputs) == ("RUNNING", {"executionId": child.id})
    assert child.state == "CREATED" and child.inputs == {"n": 21, "fail": False}
    executor.execution_advance(execution_id=parent_id)
    assert runs(parent_id)["call"].state == "RUNNING"  # waits for its execution

    assert run_tree_to_end(parent_id).state == "SUCCESS"
    child.refresh_from_db()
    assert (child.state, child.outputs) == ("SUCCESS", {"doubled": 42})
    ended = runs(parent_id)
    assert ended["call"].outputs == {"executionId": child.id, "state": "SUCCESS", "outputs": {"doubled": 42}}
    assert ended["report"].outputs == {"value": "SUCCESS: 42"}
    body = api.get(f"/api/v1/executions/{child.id}").json()
    assert body["parentId"] == parent_id
    assert body["trigger"] == {
        "id": "call",
        "type": "io.kestra.plugin.core.flow.Subflow",
        "variables": {"executionId": parent_id, "namespace": "acme", "flowId": "parent", "flowRevision": 1},
    }
    labels = {label["key"]: label["value"] for label in body["labels"]}
    assert labels == {"caller": "parent", "system.correlationId": parent_id}
    outputs = {
        run["taskId"]: run["outputs"] for run in api.get(f"/api/v1/executions/{parent_id}").json()["taskRunList"]
    }
    assert outputs["call"]["outputs"] == {"doubled": 42}


def test_the_child_is_created_in_the_executor_s_transaction_and_sent_after_it_commits(
    api, django_capture_on_commit_callbacks
):
    save(api, CHILD, parent())
    parent_id = trigger(api, "acme", "parent")
    with django_capture_on_commit_callbacks() as callbacks:
        executor.execution_advance(execution_id=parent_id)
    (child,) = children_of(parent_id)
    assert [(callback.func.__name__, callback.args) for callback in callbacks] == [("enqueue_advance", (child.id,))]


def test_inherited_labels_come_from_the_parent_and_its_own_labels_win(api):
    save(api, CHILD, parent("    inheritLabels: true\n    labels:\n      - key: team\n        value: platform\n"))
    parent_id = trigger(api, "acme", "parent")
    executor.execution_advance(execution_id=parent_id)
    (child,) = children_of(parent_id)
    assert child.labels == [
        {"key": "team", "value": "platform"},
        {"key": "system.correlationId", "value": parent_id},
    ]


def test_a_subflow_that_does_not_wait_succeeds_once_its_execution_is_created(api):
    save(api, CHILD, parent("    wait: false\n"))
    parent_id = trigger(api, "acme", "parent")
    executor.execution_advance(execution_id=parent_id)
    (child,) = children_of(parent_id)
    call = runs(parent_id)["call"]
    assert (call.state, call.outputs) == ("SUCCESS", {"executionId": child.id})
    assert run_tree_to_end(parent_id).state == "SUCCESS"
    assert runs(parent_id)["report"].outputs == {"value": "none: none"}
    assert run_tree_to_end(child.id).state == "SUCCESS"
    assert [entry["state"] for entry in runs(parent_id)["call"].state_history] == ["CREATED", "RUNNING", "SUCCESS"]


def test_a_failed_child_fails_the_subflow_and_its_flow(api):
    save(api, CHILD, parent())
    parent_id = trigger(api, "acme", "parent", fail="true")
    assert run_tree_to_end(parent_id).state == "FAILED"
    (child,) = children_of(parent_id)
    call = runs(parent_id)["call"]
    assert (child.state, call.state) == ("FAILED", "FAILED")
    assert call.outputs == {"executionId": child.id, "state": "FAILED", "outputs": {}}
    assert errors(parent_id) == [f"subflow execution {child.id} ended FAILED"]
    assert "report" not in runs(parent_id)


def test_without_transmit_failed_a_failed_child_leaves_the_subflow_successful(api):
    save(api, CHILD, parent("    transmitFailed: false\n"))
    parent_id = trigger(api, "acme", "parent", fail="true")
    assert run_tree_to_end(parent_id).state == "SUCCESS"
    assert runs(parent_id)["report"].outputs == {"value": "FAILED: none"}


def test_inputs_the_child_refuses_fail_the_subflow_with_the_reason_and_create_nothing(api):
    save(api, CHILD, parent().replace("n: 21", "n: twenty-one"))
    parent_id = trigger(api, "acme", "parent")
    assert run_tree_to_end(parent_id).state == "FAILED"
    assert runs(parent_id)["call"].state == "FAILED"
    assert not children_of(parent_id)
    (line,) = errors(parent_id)
    assert line.startswith("task 'call': cannot start flow 'acme.team.child': invalid inputs: inputs.n: ")
    assert "twenty-one" in line


def test_a_scheduled_child_stays_created_until_its_date_and_the_subflow_waits_for_it(api):
    save(api, CHILD, parent("    scheduleDate: \"{{ '2030-01-01T00:00:00' }}+02:00\"\n"))
    parent_id = trigger(api, "acme", "parent")
    for _ in range(5):
        step()
    (child,) = children_of(parent_id)
    assert (child.state, child.schedule_date.isoformat()) == ("CREATED", "2029-12-31T22:00:00+00:00")
    assert (Execution.objects.get(pk=parent_id).state, runs(parent_id)["call"].state) == ("RUNNING", "RUNNING")
    shown = api.get(f"/api/v1/executions/{child.id}").json()["scheduleDate"]
    assert shown.startswith("2029-12-31T22:00:00") and shown.endswith("Z")


def test_a_schedule_date_already_past_starts_the_child_at_once(api):
    save(api, CHILD, parent("    scheduleDate: '2020-01-01T00:00:00Z'\n"))
    parent_id = trigger(api, "acme", "parent")
    assert run_tree_to_end(parent_id).state == "SUCCESS"
    assert runs(parent_id)["report"].outputs == {"value": "SUCCESS: 42"}


def test_a_schedule_date_that_is_not_a_date_fails_the_subflow_and_starts_nothing(api):
    save(api, CHILD, parent("    scheduleDate: next tuesday\n"))
    parent_id = trigger(api, "acme", "parent")
    assert run_tree_to_end(parent_id).state == "FAILED"
    assert not children_of(parent_id)
    assert errors(parent_id) == [
        "task 'call': scheduleDate 'next tuesday': "
        "expected an ISO-8601 date-time with a time zone, like 2024-05-01T10:00:00Z"
    ]


ALERT = "errors:\n  - id: alert\n    type: io.kestra.plugin.core.log.Log\n    message: the call failed\n"


@pytest.mark.parametrize(("flow_id", "reason"), [
    ("nope", "flow 'acme.team.nope' does not exist"),
    ("dormant", "flow 'acme.team.dormant' is disabled"),
    ("unrunnable", "flow 'acme.team.unrunnable' uses what flowhub cannot run yet; "
                   f"tasks[0].cache: {NOT_RUNNABLE_DETAIL} (line 12, column 12)"),
])  # fmt: skip
def test_a_flow_that_cannot_start_fails_the_subflow_and_the_errors_block_runs(api, flow_id, reason):
    dormant = CHILD.replace("id: child", "id: dormant") + "disabled: true\n"
    unrunnable = CHILD.replace("id: child", "id: unrunnable").replace("tasks:\n", "tasks:\n" + NOT_RUNNABLE_TASK, 1)
    save(api, dormant, unrunnable, parent(child=flow_id, after=ALERT))
    parent_id = trigger(api, "acme", "parent")
    assert run_tree_to_end(parent_id).state == "FAILED"
    assert {task: run.state for task, run in runs(parent_id).items()} == {"call": "FAILED", "alert": "SUCCESS"}
    assert errors(parent_id) == [f"task 'call': cannot start flow 'acme.team.{flow_id}': {reason}"]
    assert not Execution.objects.filter(namespace="acme.team").exists()


CHAIN = [
    "id: top\nnamespace: acme\ntasks:\n"
    "  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: acme\n    flowId: middle\n",
    "id: middle\nnamespace: acme\ntasks:\n"
    "  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: acme\n    flowId: leaf\n",
    "id: leaf\nnamespace: acme\ntasks:\n  - id: nap\n    type: io.kestra.plugin.core.flow.Sleep\n    duration: PT1S\n",
]


def started_chain(api) -> list[Execution]:
    """top → middle → leaf, each created and started; leaf's task is waiting for a worker."""
    save(api, *CHAIN)
    trigger(api, "acme", "top")
    for _ in range(3):
        for execution_id in Execution.objects.values_list("id", flat=True):
            executor.execution_advance(execution_id=execution_id)
    chain = [Execution.objects.get(flow_id=flow_id) for flow_id in ("top", "middle", "leaf")]
    assert [execution.state for execution in chain] == ["RUNNING"] * 3
    return chain


def test_killing_a_parent_kills_its_child_and_grandchild(api):
    top, middle, leaf = started_chain(api)
    assert api.delete(f"/api/v1/executions/{top.id}/kill").status_code == 202
    for execution in (top, middle, leaf):
        executor.execution_advance(execution_id=execution.id)
        execution.refresh_from_db()
        assert execution.state == "KILLED", execution.flow_id
    assert [runs(execution.id)[task].state for execution, task in ((top, "call"), (middle, "call"), (leaf, "nap"))] == [
        "KILLED"
    ] * 3


def test_kill_without_cascade_leaves_the_child_running(api):
    top, middle, _ = started_chain(api)
    response = api.delete(f"/api/v1/main/executions/{top.id}/actions/kill?isOnKillCascade=false")
    assert response.status_code == 200
    executor.execution_advance(execution_id=top.id)
    middle.refresh_from_db()
    assert (Execution.objects.get(pk=top.id).state, middle.state) == ("KILLED", "RUNNING")
    body = assert_problem(api.delete(f"/api/v1/executions/{middle.id}/kill?isOnKillCascade=maybe"), 400,
                          "invalid-query-parameter")  # fmt: skip
    assert body["errors"][0]["path"] == "isOnKillCascade"


def test_killing_a_child_alone_fails_the_parent_s_subflow(api):
    top, middle, leaf = started_chain(api)
    assert api.delete(f"/api/v1/executions/{leaf.id}/kill").status_code == 202
    assert run_tree_to_end(top.id).state == "FAILED"
    states = [Execution.objects.get(pk=execution.id).state for execution in (top, middle, leaf)]
    assert states == ["FAILED", "FAILED", "KILLED"]
    assert runs(middle.id)["call"].outputs["state"] == "KILLED"


def test_killing_a_child_before_it_started_ends_the_parent_s_subflow_at_once(api):
    save(api, CHILD, parent())
    parent_id = trigger(api, "acme", "parent")
    executor.execution_advance(execution_id=parent_id)
    (child,) = children_of(parent_id)
    api.delete(f"/api/v1/executions/{child.id}/kill")
    assert runs(parent_id)["call"].state == "FAILED"
    assert run_tree_to_end(parent_id).state == "FAILED"


PING = (
    "id: ping\nnamespace: acme\ntasks:\n"
    "  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: acme\n    flowId: pong\n"
)


def test_flows_calling_each_other_stop_at_the_depth_limit(api, settings):
    settings.FLOWHUB_MAX_SUBFLOW_DEPTH = 3
    save(api, PING, PING.replace("id: ping", "id: pong").replace("flowId: pong", "flowId: ping"))
    root_id = trigger(api, "acme", "ping")
    assert run_tree_to_end(root_id).state == "FAILED"
    assert Execution.objects.count() == 4  # the root and three levels of subflows
    (deepest,) = Execution.objects.filter(child_executions__isnull=True)
    assert deepest.state == "FAILED" and deepest.flow_id == "pong"
    assert errors(deepest.id) == [
        "task 'call': cannot start flow 'acme.ping': subflows nest at most 3 deep (FLOWHUB_MAX_SUBFLOW_DEPTH) "
        "and this execution is that deep already; does a flow call itself?"
    ]
    assert set(Execution.objects.values_list("state", flat=True)) == {"FAILED"}


def test_a_child_s_end_delivered_again_changes_nothing(api):
    save(api, CHILD, parent())
    parent_id = trigger(api, "acme", "parent")
    run_tree_to_end(parent_id)
    (child,) = children_of(parent_id)
    history = runs(parent_id)["call"].state_history
    executor.execution_advance(execution_id=child.id)
    assert subflow_child_ended(child=child) is False
    assert runs(parent_id)["call"].state_history == history
    assert [entry["state"] for entry in history] == ["CREATED", "RUNNING", "SUCCESS"]


def test_the_sweep_ends_a_subflow_whose_child_ended_without_telling_it(api):
    save(api, CHILD, parent())
    parent_id = trigger(api, "acme", "parent")
    executor.execution_advance(execution_id=parent_id)
    (child,) = children_of(parent_id)
    assert execution_transition(child, State.CANCELLED)  # ended on a path that does not end the parent's run
    assert runs(parent_id)["call"].state == "RUNNING"
    assert recovery.executions_sweep()["subflows"] == 1
    call = runs(parent_id)["call"]
    assert (call.state, call.outputs["state"]) == ("FAILED", "CANCELLED")
    assert recovery.executions_sweep()["subflows"] == 0
    assert run_tree_to_end(parent_id).state == "FAILED"


READER = """\
id: reader
namespace: acme.team
inputs:
  - id: report
    type: STRING
tasks:
  - id: peek
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.report) }}"
outputs:
  - id: seen
    type: STRING
    value: "{{ outputs.peek.value }}"
"""

WRITER = """\
id: writer
namespace: acme
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "rows of {{ execution.id }}"
    extension: .csv
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: acme.team
    flowId: reader
    inputs:
      report: "{{ outputs.write.uri }}"
"""


def test_a_child_reads_the_file_its_parent_passed_it_but_not_another_execution_s(api):
    save(api, READER, WRITER)
    parent_id = trigger(api, "acme", "writer")
    assert run_tree_to_end(parent_id).state == "SUCCESS"
    assert runs(parent_id)["call"].outputs["outputs"] == {"seen": f"rows of {parent_id}"}
    passed = runs(parent_id)["write"].outputs["uri"]
    stranger_id = trigger(api, "acme.team", "reader", report=passed)  # not started by the writer
    assert run_tree_to_end(stranger_id).state == "FAILED"
    assert f"is not a file of execution {stranger_id}" in " ".join(errors(stranger_id))
