"""Flow triggers: which ending executions a trigger listens to, its preconditions' windows, what it passes on."""

from datetime import UTC, datetime, timedelta

import pytest

from flowhub.engine.conditions import ConditionContext, ConditionError, ExecutionFacts
from flowhub.engine.errors import InvalidFlowError
from flowhub.engine.flow_triggers import (
    Upstream,
    counts,
    flow_trigger_variables,
    listened_states,
    listens,
    merged_outputs,
    windows,
)
from flowhub.engine.parser import parse_flow
from flowhub.engine.registry import default_registry
from flowhub.engine.states import TERMINAL, State
from flowhub.engine.windows import TimeWindow

REGISTRY = default_registry()
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def trigger(body: str, kind="Flow"):
    source = (
        "id: listener\nnamespace: company.ops\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
        f"    message: hi\ntriggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.{kind}\n" + body
    )
    return parse_flow(source, REGISTRY).triggers[0]


def ended(namespace="company.team", flow_id="a", state="SUCCESS", labels=None, variables=None, now=NOW, attempts=()):
    facts = ExecutionFacts(namespace, flow_id, state, labels or {}, {}, lambda: attempts)
    return ConditionContext("company.ops", "listener", facts, variables or {}, now)


def test_without_states_a_trigger_listens_to_every_end_and_never_to_a_running_execution():
    assert listened_states(trigger("    inputs: {}\n")) == TERMINAL
    assert listened_states(trigger("    states: [SUCCESS, RUNNING]\n")) == {State.SUCCESS}
    assert listens(trigger("    inputs: {}\n"), ended(state="KILLED"))


def test_a_flow_never_listens_to_itself():
    assert not listens(trigger("    inputs: {}\n"), ended(namespace="company.ops", flow_id="listener"))


def test_states_and_conditions_must_all_agree():
    after_a = trigger(
        "    states: [SUCCESS]\n    conditions:\n      - type: io.kestra.plugin.core.condition.ExecutionFlow\n"
        "        namespace: company.team\n        flowId: a\n"
    )
    assert listens(after_a, ended())
    assert not listens(after_a, ended(state="FAILED"))
    assert not listens(after_a, ended(flow_id="b"))


def test_a_disabled_trigger_never_listens():
    assert not listens(trigger("    disabled: true\n"), ended())


def test_a_trigger_listens_to_an_execution_that_had_a_task_retried():
    retried = trigger(
        "    conditions:\n      - type: io.kestra.plugin.core.condition.HasRetryAttempt\n        in: [FAILED]\n"
    )
    assert listens(retried, ended(attempts=((State.FAILED, State.SUCCESS),)))
    assert not listens(retried, ended(attempts=((State.SUCCESS,), (State.FAILED,))))


PRECONDITIONS = """\
    preconditions:
      id: both
      flows:
        - namespace: company.team
          flowId: a
          states: [SUCCESS]
        - namespace: company.team
          flowId: b
          labels: {env: prod}
"""


def test_preconditions_admit_an_execution_of_one_upstream_flow_and_await_the_others():
    both = trigger(PRECONDITIONS)
    assert listens(both, ended())
    assert [flow.flowId for flow in both.preconditions.still_awaited(ended())] == ["b"]
    assert not listens(both, ended(state="FAILED"))  # satisfies neither upstream flow
    assert not listens(both, ended(flow_id="b"))  # b without its label
    b_prod = ended(flow_id="b", labels={"env": "prod"})
    assert listens(both, b_prod)
    assert [flow.flowId for flow in both.preconditions.still_awaited(b_prod)] == ["a"]


def test_where_filters_hold_against_the_execution_that_ended():
    alerts = trigger(
        "    states: [FAILED, WARNING]\n    preconditions:\n      id: p\n      where:\n        - id: company\n"
        "          filters:\n            - field: NAMESPACE\n              type: STARTS_WITH\n"
        "              value: company\n            - field: EXPRESSION\n              type: IS_TRUE\n"
        "              value: \"{{ trigger.state == 'FAILED' }}\"\n"
    )
    failed = ended(state="FAILED", variables={"trigger": {"state": "FAILED"}})
    assert listens(alerts, failed)
    assert not listens(alerts, ended(namespace="other", state="FAILED", variables={"trigger": {"state": "FAILED"}}))
    assert not listens(alerts, ended(state="WARNING", variables={"trigger": {"state": "WARNING"}}))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ("{field: FLOW_ID, type: EQUAL_TO, value: a}", True),
        ("{field: FLOW_ID, type: NOT_EQUAL_TO, value: a}", False),
        ("{field: STATE, type: IN, values: [FAILED, SUCCESS]}", True),
        ("{field: STATE, type: NOT_IN, values: [SUCCESS]}", False),
        ("{field: NAMESPACE, type: ENDS_WITH, value: .team}", True),
        ("{field: NAMESPACE, type: CONTAINS, value: pany}", True),
        ("{field: FLOW_ID, type: REGEX, value: '[a-c]'}", True),
        ("{field: FLOW_ID, type: REGEX, value: 'a.+'}", False),
        ("{field: FLOW_ID, type: IS_NOT_NULL}", True),
        ("{field: EXPRESSION, type: IS_FALSE, value: '{{ 1 > 2 }}'}", True),
    ],
)
def test_filter_types(filters, expected):
    where = trigger(f"    preconditions:\n      id: p\n      where:\n        - id: w\n          filters: [{filters}]\n")
    assert listens(where, ended()) is expected


def test_an_or_operand_needs_one_filter_only():
    where = trigger(
        "    preconditions:\n      id: p\n      where:\n        - id: w\n          operand: OR\n"
        "          filters: [{field: FLOW_ID, type: EQUAL_TO, value: x}, {field: FLOW_ID, type: EQUAL_TO, value: a}]\n"
    )
    assert listens(where, ended())


@pytest.mark.parametrize(
    ("window", "now", "bounds"),
    [
        ({}, NOW, (datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC))),
        (
            {"window": "PT6H", "windowAdvance": "PT6H"},
            NOW,
            (datetime(2026, 11, 23, 12, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC)),
        ),
        (
            {"window": "PT6H", "windowAdvance": "PT6H"},
            NOW - timedelta(hours=7),
            (datetime(2026, 11, 23, 0, tzinfo=UTC), datetime(2026, 11, 23, 6, tzinfo=UTC)),
        ),
        ({"type": "SLIDING_WINDOW", "window": "PT1H"}, NOW, (NOW - timedelta(hours=1), NOW)),
        (
            {"type": "DAILY_TIME_DEADLINE", "deadline": "13:00:00+01:00"},
            NOW,
            (datetime(2026, 11, 22, 23, tzinfo=UTC), datetime(2026, 11, 23, 12, tzinfo=UTC)),
        ),
        ({"type": "DAILY_TIME_DEADLINE", "deadline": "09:00:00"}, NOW, None),
        (
            {"type": "DAILY_TIME_WINDOW", "startTime": "06:00:00", "endTime": "18:00:00"},
            NOW,
            (datetime(2026, 11, 23, 6, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC)),
        ),
        ({"type": "DAILY_TIME_WINDOW", "startTime": "13:00:00Z", "endTime": "18:00:00Z"}, NOW, None),
    ],
)
def test_time_windows(window, now, bounds):
    assert TimeWindow(**window).bounds(now) == bounds


def test_a_closed_daily_window_admits_nothing():
    closed = trigger(
        "    preconditions:\n      id: p\n      flows: [{namespace: company.team, flowId: a}]\n"
        "      timeWindow: {type: DAILY_TIME_DEADLINE, deadline: '09:00:00Z'}\n"
    )
    assert not listens(closed, ended())
    assert listens(closed, ended(now=NOW - timedelta(hours=4)))


MULTIPLE = """\
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
      - id: a_and_b
        type: io.kestra.core.models.conditions.types.MultipleCondition
        window: PT6H
        windowAdvance: PT0S
        resetOnSuccess: false
        conditions:
          flow_a:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
            flowId: a
          flow_b:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
            flowId: b
"""


def test_a_multiple_condition_is_a_window_like_preconditions():
    both = trigger(MULTIPLE + PRECONDITIONS.replace("id: both", "id: p"))
    multiple, preconditions = windows(both)
    assert preconditions is both.preconditions and multiple is both.conditions[1]
    assert not multiple.resetOnSuccess
    assert multiple.bounds(NOW) == (datetime(2026, 11, 23, 12, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC))
    assert windows(trigger("    inputs: {}\n")) == ()


def test_a_multiple_condition_admits_an_execution_one_of_its_conditions_holds_for_and_awaits_the_others():
    both = trigger(MULTIPLE)
    assert listens(both, ended())
    (awaited,) = windows(both)[0].still_awaited(ended())
    assert (awaited.key, awaited.namespace, awaited.flowId) == ("flow_b", "company.team", "b")
    assert not listens(both, ended(state="FAILED"))  # the trigger's other conditions still hold it back
    assert not listens(both, ended(flow_id="c"))


def test_an_earlier_execution_counts_when_the_trigger_s_other_conditions_and_the_awaited_one_hold_for_it():
    both = trigger(MULTIPLE)
    (awaited,) = windows(both)[0].still_awaited(ended(flow_id="a"))
    earlier = NOW - timedelta(hours=1)
    assert counts(both, awaited, ended(flow_id="b", now=earlier))
    assert not counts(both, awaited, ended(flow_id="b", state="FAILED", now=earlier))  # ExecutionStatus
    assert not counts(both, awaited, ended(flow_id="c", now=earlier))
    assert not counts(trigger("    states: [FAILED]\n" + MULTIPLE), awaited, ended(flow_id="b"))  # `states`
    assert not counts(both, awaited, ended(namespace="company.ops", flow_id="listener"))  # its own flow


def test_what_cannot_be_evaluated_for_an_earlier_execution_raises():
    broken = trigger(
        MULTIPLE.replace(
            "in: [SUCCESS]",
            "in: [SUCCESS]\n      - type: io.kestra.plugin.core.condition.Expression\n"
            '        expression: "{{ trigger.nothing.here }}"',
        )
    )
    (awaited,) = windows(broken)[-1].still_awaited(ended())
    with pytest.raises(ConditionError, match="conditions\\[1\\]"):
        counts(broken, awaited, ended(flow_id="b"))


@pytest.mark.parametrize(("kind", "key"), [("Webhook", "    key: k\n"), ("Schedule", "    cron: '@daily'\n")])
def test_a_multiple_condition_is_refused_on_any_trigger_but_a_flow_trigger(kind, key):
    with pytest.raises(InvalidFlowError) as raised:
        trigger(key + MULTIPLE, kind)
    ((path, detail),) = [(error.path, error.detail) for error in raised.value.errors]
    assert path == "triggers[0].conditions[1]"
    assert "a MultipleCondition can only be one of a Flow trigger's own conditions" in detail


def test_the_trigger_variables_are_kestra_s_flow_trigger_output():
    upstream = Upstream(
        id="up1",
        facts=ExecutionFacts(
            "company.team", "a", "FAILED", {"system.correlationId": "c1", "team.name": "data"}, {"x": 1}
        ),
        flow_revision=4,
        start_date="2026-11-23T11:00:00Z",
        end_date="2026-11-23T11:59:00Z",
    )
    assert flow_trigger_variables(upstream, {"x": 1}, first_failed_task_id="load", last_task_id="notify") == {
        "executionId": "up1",
        "namespace": "company.team",
        "flowId": "a",
        "flowRevision": 4,
        "state": "FAILED",
        "executionLabels": {"team": {"name": "data"}},
        "startDate": "2026-11-23T11:00:00Z",
        "endDate": "2026-11-23T11:59:00Z",
        "firstFailedTaskId": "load",
        "lastTaskId": "notify",
        "outputs": {"x": 1},
    }
    assert "firstFailedTaskId" not in flow_trigger_variables(upstream, {})


def test_outputs_of_several_upstream_executions_merge_deeply_the_last_winning():
    assert merged_outputs({"a": 1, "m": {"x": 1, "y": 1}}, {"b": 2, "m": {"y": 2}}) == {
        "a": 1,
        "b": 2,
        "m": {"x": 1, "y": 2},
    }
