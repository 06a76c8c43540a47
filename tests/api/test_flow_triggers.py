"""Flow triggers: a flow starts when executions of other flows end, with `trigger.executionId`, `trigger.outputs`."""

import pytest

from executions.flow_triggers import flow_triggers_fire
from executions.models import Execution, LogEntry, Trigger

from .drive import drive_until, run_to_end
from .helpers import YAML, assert_problem

UPSTREAM = """\
id: {flow_id}
namespace: company.team
labels:
  owner: data
inputs:
  - id: n
    type: INT
    defaults: 5
  - id: fail
    type: BOOLEAN
    defaults: false
tasks:
  - id: compute
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.n * 2 }}}}"
  - id: maybe_fail
    type: io.kestra.plugin.core.execution.Fail
    runIf: "{{{{ inputs.fail }}}}"
outputs:
  - id: total
    type: INT
    value: "{{{{ outputs.compute.value }}}}"
"""

LISTENER = """\
id: b
namespace: company.ops
{flow_lines}inputs:
  - id: total
    type: INT
tasks:
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "after {{{{ trigger.flowId }}}} {{{{ trigger.executionId }}}}
      ({{{{ trigger.state }}}}): {{{{ inputs.total }}}}"
triggers:
  - id: after_a
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      total: "{total}"
{trigger_lines}"""

AFTER_A_SUCCEEDS = """\
    states: [SUCCESS]
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlowCondition
        namespace: company.team
        flowId: a
"""


def save(api, source: str) -> None:
    response = api.post("/api/v1/flows", source, content_type=YAML)
    assert response.status_code == 200, response.content


def listener(api, trigger_lines=AFTER_A_SUCCEEDS, total="{{ trigger.outputs.total }}", flow_lines=""):
    save(api, LISTENER.format(trigger_lines=trigger_lines, total=total, flow_lines=flow_lines))


def run(api, flow_id="a", **inputs) -> Execution:
    response = api.post(f"/api/v1/executions/company.team/{flow_id}", inputs, format="multipart")
    assert response.status_code == 200, response.content
    return run_to_end(response.json()["id"])


def started(flow_id="b"):
    return list(Execution.objects.filter(flow_id=flow_id).order_by("created_at"))


@pytest.fixture
def upstream(api):
    for flow_id in ("a", "c"):
        save(api, UPSTREAM.format(flow_id=flow_id))


def test_b_starts_after_a_succeeds_and_sees_its_execution_and_outputs(api, upstream):
    listener(api)
    a = run(api, n="21")
    assert a.state == "SUCCESS" and a.outputs == {"total": 42}
    (b,) = started()
    assert b.state == "CREATED"
    assert b.trigger["id"] == "after_a" and b.trigger["type"] == "io.kestra.plugin.core.trigger.Flow"
    variables = b.trigger["variables"]
    assert {key: variables[key] for key in ("executionId", "namespace", "flowId", "flowRevision", "state")} == {
        "executionId": a.id,
        "namespace": "company.team",
        "flowId": "a",
        "flowRevision": 1,
        "state": "SUCCESS",
    }
    assert variables["outputs"] == {"total": 42} and variables["executionLabels"] == {"owner": "data"}
    assert variables["startDate"] == a.start_date and variables["endDate"] == a.end_date
    assert variables["lastTaskId"] == "maybe_fail" and "firstFailedTaskId" not in variables
    assert b.inputs == {"total": 42}
    labels = {label["key"]: label["value"] for label in b.labels}
    assert labels == {"system.from": "trigger", "system.correlationId": a.id}
    assert run_to_end(b.id).state == "SUCCESS"
    assert LogEntry.objects.get(execution=b).message == f"after a {a.id} (SUCCESS): 42"


def test_a_failed_upstream_starts_only_what_listens_to_failures(api, upstream):
    listener(api)
    save(
        api,
        "id: alert\nnamespace: company.ops\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
        '    message: "{{ trigger.firstFailedTaskId }}"\ntriggers:\n  - id: on_failure\n'
        "    type: io.kestra.plugin.core.trigger.Flow\n    states: [FAILED]\n    preconditions:\n"
        "      id: company\n      where:\n        - id: ns\n          filters:\n"
        "            - {field: NAMESPACE, type: STARTS_WITH, value: company}\n",
    )
    a = run(api, fail="true")
    assert a.state == "FAILED"
    assert started("b") == []
    (alert,) = started("alert")
    assert alert.trigger["variables"]["firstFailedTaskId"] == "maybe_fail"
    run(api)
    assert len(started("alert")) == 1 and len(started("b")) == 1


def test_a_flow_never_starts_itself(api, upstream):
    save(
        api,
        "id: every\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\ntriggers:\n  - id: any_end\n    type: io.kestra.plugin.core.trigger.Flow\n",
    )
    run(api)
    (every,) = started("every")
    assert run_to_end(every.id).state == "SUCCESS"
    assert len(started("every")) == 1


@pytest.mark.parametrize(
    ("trigger_lines", "flow_lines"),
    [(AFTER_A_SUCCEEDS + "    disabled: true\n", ""), (AFTER_A_SUCCEEDS, "disabled: true\n")],
)
def test_a_disabled_trigger_or_flow_starts_nothing(api, upstream, trigger_lines, flow_lines):
    listener(api, trigger_lines, flow_lines=flow_lines)
    assert run(api).state == "SUCCESS"
    assert started() == []


def test_a_trigger_a_person_disabled_starts_nothing(api, upstream):
    listener(api)
    Trigger.objects.filter(namespace="company.ops", flow_id="b").update(disabled=True)
    run(api)
    assert started() == []


@pytest.mark.parametrize(
    ("total", "error"),
    [
        ("{{ trigger.outputs.total }}x", "inputs.total: "),  # renders, but is no INT
        ("{{ trigger.outputs.nothing.deeper }}", "inputs.total: unable to render"),
    ],
)
def test_inputs_the_downstream_flow_refuses_make_a_failed_execution_that_says_why(api, upstream, total, error):
    listener(api, total=total)
    a = run(api)
    assert a.state == "SUCCESS"
    (b,) = started()
    assert b.state == "FAILED" and b.ended_at is not None
    assert [entry["state"] for entry in b.state_history] == ["CREATED", "FAILED"]
    assert b.trigger["variables"]["executionId"] == a.id
    assert {"key": "system.correlationId", "value": a.id} in b.labels
    (line,) = LogEntry.objects.filter(execution=b)
    assert line.level == "ERROR" and line.message.startswith(error)
    assert api.get(f"/api/v1/executions/{b.id}").json()["state"]["current"] == "FAILED"


def test_a_killed_upstream_fires_a_trigger_listening_to_kills(api, upstream):
    listener(api, "    states: [KILLED]\n", total="0")
    created = api.post("/api/v1/executions/company.team/a", {}, format="multipart").json()["id"]
    assert api.delete(f"/api/v1/executions/{created}/kill").status_code == 202
    (b,) = started()
    assert b.trigger["variables"]["state"] == "KILLED" and b.inputs == {"total": 0}


BOTH = """\
    preconditions:
      id: a_and_c
      resetOnSuccess: {reset}
      flows:
        - namespace: company.team
          flowId: a
          states: [SUCCESS]
        - namespace: company.team
          flowId: c
          states: [SUCCESS]
"""


def test_preconditions_wait_for_every_upstream_flow_then_start_afresh(api, upstream):
    listener(api, BOTH.format(reset="true"), total="{{ trigger.outputs.total }}")
    run(api, n="1")
    assert started() == []
    c = run(api, "c", n="2")
    (first,) = started()
    assert first.trigger["variables"]["executionId"] == c.id and first.inputs == {"total": 4}
    run(api, "c", n="3")  # the window starts again: a must end again
    assert len(started()) == 1
    run(api, n="4")
    assert len(started()) == 2
    assert started()[-1].inputs == {"total": 8}
    run(api, "a", fail="true")  # a failure satisfies neither upstream flow
    assert len(started()) == 2


def test_preconditions_without_reset_fire_at_each_end_once_all_have_ended(api, upstream):
    listener(api, BOTH.format(reset="false"))
    run(api)
    run(api, "c")
    run(api, "c")
    run(api)
    assert len(started()) == 3


A_AND_C_SUCCEED = """\
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
      - id: a_and_c
        type: io.kestra.plugin.core.condition.MultipleCondition
        window: P1D
        windowAdvance: P0D
        conditions:
          flow_a:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
            flowId: a
          flow_c:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
            flowId: c
"""


def test_a_multiple_condition_fires_once_both_upstream_flows_succeeded_then_waits_for_both_again(api, upstream):
    listener(api, A_AND_C_SUCCEED)
    run(api, "a", fail="true")  # fails the trigger's other condition: it counts for nothing
    run(api, "c", n="2")
    assert started() == []
    a = run(api, "a", n="3")
    (first,) = started()
    assert first.trigger["variables"]["executionId"] == a.id and first.inputs == {"total": 6}
    assert first.trigger["variables"]["outputs"] == {"total": 6}  # c's merged, then a's, which ended last
    run(api, "a")  # resetOnSuccess (the default): c must succeed again
    assert len(started()) == 1
    run(api, "c", n="7")
    assert len(started()) == 2 and started()[-1].inputs == {"total": 14}


def test_a_multiple_condition_awaits_a_condition_any_flow_may_satisfy(api, upstream):
    any_success = (
        "    states: [SUCCESS, FAILED]\n    conditions:\n      - id: m\n"
        "        type: io.kestra.core.models.conditions.types.MultipleCondition\n        conditions:\n"
        "          a_ended:\n            type: io.kestra.plugin.core.condition.ExecutionFlowCondition\n"
        "            namespace: company.team\n            flowId: a\n"
        "          a_success:\n            type: io.kestra.plugin.core.condition.ExecutionStatusCondition\n"
        "            in: [SUCCESS]\n"
    )
    listener(api, any_success, total="0")
    run(api, "a", fail="true")  # satisfies a_ended; no execution has succeeded yet
    assert started() == []
    c = run(api, "c")  # satisfies a_success, and a ended in the window
    (b,) = started()
    assert b.trigger["variables"]["executionId"] == c.id


RETRIED = """\
id: flaky
namespace: company.team
tasks:
  - id: shaky
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ taskrun.attemptsCount < 1 }}"
    retry:
      type: constant
      interval: PT0.1S
      maxAttempt: 2
"""


def test_has_retry_attempt_fires_after_an_execution_whose_task_was_retried(api, upstream):
    listener(
        api,
        "    conditions:\n      - type: io.kestra.plugin.core.condition.HasRetryAttempt\n        in: [FAILED]\n",
        total="0",
    )
    save(api, RETRIED)
    assert run(api, "a").state == "SUCCESS"  # one attempt only
    assert started() == []
    flaky = api.post("/api/v1/executions/company.team/flaky", {}, format="multipart").json()["id"]
    drive_until(lambda: Execution.objects.get(pk=flaky).state == "SUCCESS")
    (b,) = started()
    assert b.trigger["variables"]["executionId"] == flaky


def test_an_end_costs_one_query_when_no_flow_trigger_exists(api, upstream, django_assert_num_queries):
    a = run(api)
    with django_assert_num_queries(1):
        flow_triggers_fire(upstream=a)


def test_a_condition_of_an_unknown_type_or_with_a_wrong_property_is_refused_at_save(api):
    unknown = AFTER_A_SUCCEEDS.replace("io.kestra.plugin.core.condition.ExecutionFlowCondition", "com.acme.Nope")
    response = api.post(
        "/api/v1/flows", LISTENER.format(trigger_lines=unknown, total="1", flow_lines=""), content_type=YAML
    )
    problem = assert_problem(response, 422, "invalid-entity")
    assert [(error["path"], error["line"]) for error in problem["errors"]] == [("triggers[0].conditions[0].type", 18)]
    assert "unknown condition type 'com.acme.Nope'" in problem["errors"][0]["detail"]
    wrong = AFTER_A_SUCCEEDS.replace("flowId: a", "flow: a")
    response = api.post(
        "/api/v1/flows", LISTENER.format(trigger_lines=wrong, total="1", flow_lines=""), content_type=YAML
    )
    paths = {error["path"] for error in assert_problem(response, 422, "invalid-entity")["errors"]}
    assert paths == {"triggers[0].conditions[0].flow", "triggers[0].conditions[0].flowId"}


@pytest.mark.parametrize(
    ("trigger_lines", "path", "detail"),
    [
        (
            A_AND_C_SUCCEED.replace("window: P1D", "window: PT0S"),
            "triggers[0].conditions[1].window",
            "must be longer than zero",
        ),
        (
            A_AND_C_SUCCEED
            + "          nested:\n            id: n\n"
            + "            type: io.kestra.plugin.core.condition.MultipleCondition\n"
            + "            conditions: {weekend: {type: io.kestra.plugin.core.condition.Weekend}}\n",
            "triggers[0].conditions[1].conditions.nested",
            "a MultipleCondition can only be one of a Flow trigger's own conditions",
        ),
        (
            "    conditions:\n      - type: io.kestra.plugin.core.condition.HasRetryAttempt\n"
            "        in: [RETRIED_TWICE]\n",
            "triggers[0].conditions[0].in[0]",
            "must be 'CREATED', 'QUEUED',",
        ),
    ],
)
def test_a_bad_multiple_condition_or_has_retry_attempt_is_refused_at_save_naming_the_property(
    api, trigger_lines, path, detail
):
    response = api.post(
        "/api/v1/flows", LISTENER.format(trigger_lines=trigger_lines, total="1", flow_lines=""), content_type=YAML
    )
    (error,) = assert_problem(response, 422, "invalid-entity")["errors"]
    assert error["path"] == path and detail in error["detail"]
