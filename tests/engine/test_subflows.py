"""Subflow: how plan() moves its run, the call it renders, and the state its run ends in."""

import pytest

from flowhub.engine.context import ExecutionInfo, variables
from flowhub.engine.errors import InvalidFlowError
from flowhub.engine.parser import parse_flow
from flowhub.engine.planner import NewRun, Plan, Snapshot, TaskRunView, plan
from flowhub.engine.registry import default_registry
from flowhub.engine.states import State
from flowhub.engine.subflows import child_labels, subflow_call, subflow_outputs, subflow_result, subflow_trigger
from flowhub.engine.templating import render_value

REGISTRY = default_registry()


def subflow_flow(properties: str = "") -> str:
    return (
        "id: parent\nnamespace: acme\ninputs:\n  - id: who\n    type: STRING\n    defaults: Ada\ntasks:\n"
        "  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: acme.team\n    flowId: child\n"
        + properties
        + "  - id: after\n    type: io.kestra.plugin.core.log.Log\n    message: done\n"
    )


def parsed(properties: str = ""):
    return parse_flow(subflow_flow(properties), REGISTRY)


def call_run(state: State) -> TaskRunView:
    return TaskRunView(id="run-call", task_id="call", state=state)


def test_a_subflow_run_is_started_by_the_executor_then_waits_for_its_execution():
    flow = parsed()
    assert plan(Snapshot(flow, State.CREATED)) == Plan(start=True, create=(NewRun("call"),))
    assert plan(Snapshot(flow, State.RUNNING, (call_run(State.CREATED),))) == Plan(resolve=("run-call",))
    assert plan(Snapshot(flow, State.RUNNING, (call_run(State.RUNNING),))).is_empty


def test_a_subflow_that_does_not_wait_ends_as_soon_as_its_execution_started():
    flow = parsed("    wait: false\n")
    assert plan(Snapshot(flow, State.RUNNING, (call_run(State.RUNNING),))) == Plan(end=(("run-call", State.SUCCESS),))


@pytest.mark.parametrize(("ended", "next_step"), [
    (State.SUCCESS, Plan(create=(NewRun("after"),))),
    (State.WARNING, Plan(create=(NewRun("after"),))),
    (State.FAILED, Plan(finish=State.FAILED)),
])  # fmt: skip
def test_the_flow_goes_on_from_the_state_the_subflow_run_ended_in(ended, next_step):
    assert plan(Snapshot(parsed(), State.RUNNING, (call_run(ended),))) == next_step


def render_in(flow, outputs=None):
    info = ExecutionInfo("exec-1", "RUNNING", None, "exec-1", 3, {"team": "data"}, {"who": "Ada"})
    context = variables(flow, info, outputs or {})
    return lambda value: render_value(value, context)


def test_the_call_renders_its_namespace_flow_inputs_and_labels():
    flow = parsed(
        "    revision: 2\n"
        "    inputs:\n      name: '{{ inputs.who }}'\n      count: 3\n      nested:\n        - '{{ labels.team }}'\n"
        "    labels:\n      origin: '{{ flow.id }}'\n      '{{ labels.team }}': yes\n"
    )
    call = subflow_call(flow.tasks[0], render_in(flow))
    assert (call.namespace, call.flow_id, call.revision) == ("acme.team", "child", 2)
    assert call.inputs == {"name": "Ada", "count": 3, "nested": ["data"]}
    assert call.labels == (("origin", "parent"), ("data", "true"))


def test_labels_may_be_a_list_of_key_value_pairs_and_nothing_else():
    flow = parsed("    labels:\n      - key: origin\n        value: '{{ execution.id }}'\n")
    assert subflow_call(flow.tasks[0], render_in(flow)).labels == (("origin", "exec-1"),)
    with pytest.raises(InvalidFlowError) as raised:
        parsed("    labels:\n      - name: origin\n")
    assert [(error.path, error.detail) for error in raised.value.errors] == [
        ("tasks[0].labels", "must be a mapping, or a list of {key, value}")
    ]


PARENT_LABELS = {"team": "data", "env": "prod", "system.correlationId": "root-1"}


def test_a_child_keeps_the_parent_s_correlation_id_and_inherits_its_labels_only_when_asked():
    flow = parsed("    labels:\n      env: test\n")
    call = subflow_call(flow.tasks[0], render_in(flow))
    assert child_labels(call, PARENT_LABELS, inherit=False) == [("system.correlationId", "root-1"), ("env", "test")]
    assert child_labels(call, PARENT_LABELS, inherit=True) == [
        ("team", "data"),
        ("env", "test"),
        ("system.correlationId", "root-1"),
    ]


def test_the_child_s_trigger_names_the_subflow_task_and_the_parent_execution():
    assert subflow_trigger(parsed().tasks[0], "exec-1", "acme", "parent", 3) == {
        "id": "call",
        "type": "io.kestra.plugin.core.flow.Subflow",
        "variables": {"executionId": "exec-1", "namespace": "acme", "flowId": "parent", "flowRevision": 3},
    }


@pytest.mark.parametrize(("child", "transmitted", "not_transmitted"), [
    (State.SUCCESS, State.SUCCESS, State.SUCCESS),
    (State.WARNING, State.WARNING, State.SUCCESS),
    (State.FAILED, State.FAILED, State.SUCCESS),
    (State.KILLED, State.FAILED, State.SUCCESS),
    (State.CANCELLED, State.FAILED, State.SUCCESS),
])  # fmt: skip
def test_the_child_s_end_is_passed_on_only_with_transmit_failed(child, transmitted, not_transmitted):
    assert subflow_result(parsed().tasks[0], child) == transmitted
    assert subflow_result(parsed("    transmitFailed: false\n").tasks[0], child) == not_transmitted


def test_allow_failure_makes_a_transmitted_failure_a_warning():
    assert subflow_result(parsed("    allowFailure: true\n").tasks[0], State.FAILED) == State.WARNING


def test_the_run_s_outputs_hold_the_child_s_id_state_and_flow_outputs():
    assert subflow_outputs("child-1", State.SUCCESS, {"answer": 42}) == {
        "executionId": "child-1",
        "state": "SUCCESS",
        "outputs": {"answer": 42},
    }
