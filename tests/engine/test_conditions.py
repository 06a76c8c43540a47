"""Kestra's trigger conditions: read under every name Kestra gives them, and whether each holds."""

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from flowhub.engine.conditions import (
    Condition,
    ConditionContext,
    ConditionError,
    ExecutionFacts,
    evaluate,
    not_evaluated,
)

READ = TypeAdapter(Condition)
CORE = "io.kestra.plugin.core.condition."
OLD = "io.kestra.core.models.conditions.types."
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def condition(type_name: str, **properties):
    return READ.validate_python({"type": type_name, **properties})


def context(
    namespace="company.team", flow_id="upstream", state="SUCCESS", labels=None, outputs=None, variables=None, now=None
):
    facts = ExecutionFacts(namespace, flow_id, state, labels or {}, outputs or {})
    return ConditionContext("company.ops", "listener", facts, variables or {}, now or MONDAY_NOON)


def holds(type_name: str, ctx=None, **properties) -> bool:
    return evaluate((condition(type_name, **properties),), ctx or context())


@pytest.mark.parametrize(
    "name",
    [CORE + "ExecutionStatus", CORE + "ExecutionStatusCondition", OLD + "ExecutionStatusCondition"],
)
def test_a_condition_is_read_under_its_name_and_both_old_ones(name):
    assert holds(name, **{"in": ["SUCCESS"]})
    assert not holds(name, **{"in": ["FAILED"]})


@pytest.mark.parametrize(
    ("properties", "state", "expected"),
    [
        ({"in": ["SUCCESS", "WARNING"]}, "WARNING", True),
        ({"in": ["SUCCESS"]}, "FAILED", False),
        ({"notIn": ["FAILED"]}, "SUCCESS", True),
        ({"notIn": ["FAILED"]}, "FAILED", False),
        ({"in": ["FAILED"], "notIn": ["FAILED"]}, "FAILED", False),
        ({}, "KILLED", True),
    ],
)
def test_execution_status_is_in_and_not_in(properties, state, expected):
    assert holds(CORE + "ExecutionStatus", context(state=state), **properties) is expected


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"namespace": "company.team"}, True),
        ({"namespace": "company"}, False),
        ({"namespace": "company", "prefix": True}, True),
        ({"namespace": "company", "comparison": "PREFIX"}, True),
        ({"namespace": ".team", "comparison": "SUFFIX"}, True),
        ({"namespace": "company", "comparison": "EQUALS", "prefix": True}, False),  # comparison wins
    ],
)
def test_execution_namespace_compares_as_asked(properties, expected):
    assert holds(CORE + "ExecutionNamespace", **properties) is expected


def test_execution_flow_names_namespace_and_flow_of_the_execution():
    assert holds(CORE + "ExecutionFlow", namespace="company.team", flowId="upstream")
    assert not holds(CORE + "ExecutionFlow", namespace="company.team", flowId="other")
    assert not holds(CORE + "ExecutionFlow", namespace="company", flowId="upstream")


def test_flow_conditions_look_at_the_trigger_s_own_flow():
    assert holds(CORE + "FlowCondition", namespace="company.ops", flowId="listener")
    assert not holds(OLD + "FlowCondition", namespace="company.team", flowId="upstream")
    assert holds(CORE + "FlowNamespaceCondition", namespace="company", prefix=True)
    assert not holds(CORE + "FlowNamespaceCondition", namespace="company")


@pytest.mark.parametrize(
    "labels",
    [{"env": "prod"}, [{"key": "env", "value": "prod"}], {"env": "prod", "team": "data"}],
)
def test_execution_labels_must_all_be_there_as_a_map_or_a_list(labels):
    assert holds(CORE + "ExecutionLabels", context(labels={"env": "prod", "team": "data"}), labels=labels)
    assert not holds(CORE + "ExecutionLabels", context(labels={"env": "dev", "team": "data"}), labels=labels)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("{{ trigger.body.orderId is defined }}", True),
        ("{{ trigger.body.missing is defined }}", False),
        ("{{ trigger.body.orderId > 40 }}", True),
        ("   ", False),
        ("false", False),
        (" false ", False),
        ("0", True),  # Kestra's Expression: only blank and `false` are false
        ("yes", True),
    ],
)
def test_an_expression_is_true_unless_blank_or_false(expression, expected):
    ctx = context(variables={"trigger": {"body": {"orderId": 42}}})
    assert holds(CORE + "Expression", ctx, expression=expression) is expected
    assert holds(OLD + "VariableCondition", ctx, expression=expression) is expected


def test_execution_outputs_sees_the_outputs_as_trigger_outputs_and_is_false_without_any():
    with_outputs = context(outputs={"total": 12})
    assert holds(CORE + "ExecutionOutputs", with_outputs, expression="{{ trigger.outputs.total > 10 }}")
    assert not holds(CORE + "ExecutionOutputs", with_outputs, expression="{{ trigger.outputs.total > 20 }}")
    assert not holds(CORE + "ExecutionOutputs", context(), expression="{{ true }}")


def test_not_and_or_combine_nested_conditions():
    success = {"type": CORE + "ExecutionStatus", "in": ["SUCCESS"]}
    failed = {"type": CORE + "ExecutionStatus", "in": ["FAILED"]}
    assert holds(CORE + "Or", conditions=[failed, success])
    assert not holds(CORE + "Or", conditions=[failed])
    assert holds(OLD + "NotCondition", conditions=[failed])
    assert not holds(CORE + "Not", conditions=[failed, success])


@pytest.mark.parametrize(
    ("type_name", "properties", "date", "expected"),
    [
        ("DayWeek", {"dayOfWeek": "MONDAY"}, None, True),
        ("DayWeek", {"dayOfWeek": "TUESDAY"}, None, False),
        ("DayWeek", {"dayOfWeek": "SUNDAY", "date": "2026-11-22"}, None, True),
        ("DayWeek", {"dayOfWeek": "SATURDAY"}, "2026-11-28T10:00:00Z", True),  # a Schedule's trigger.date
        ("Weekend", {}, None, False),
        ("Weekend", {}, "2026-11-29T23:00:00+01:00", True),  # Sunday where it was written
        ("DayWeekInMonth", {"dayOfWeek": "MONDAY", "dayInMonth": "FOURTH"}, None, True),
        ("DayWeekInMonth", {"dayOfWeek": "MONDAY", "dayInMonth": "LAST"}, None, False),
        ("DayWeekInMonth", {"dayOfWeek": "MONDAY", "dayInMonth": "LAST"}, "2026-11-30T08:00:00Z", True),
        ("DayWeekInMonth", {"dayOfWeek": "MONDAY", "dayInMonth": "FIRST"}, "2026-11-02T08:00:00Z", True),
        ("DateTimeBetween", {"after": "2026-11-01T00:00:00Z"}, None, True),
        ("DateTimeBetween", {"before": "2026-11-01T00:00:00Z"}, None, False),
        ("DateTimeBetween", {"after": "2026-11-23T12:00:00Z", "before": "2026-11-23T12:00:00Z"}, None, True),
        ("TimeBetween", {"after": "11:00:00Z", "before": "13:00:00Z"}, None, True),
        ("TimeBetween", {"after": "13:00:00+02:00", "before": "15:00:00+02:00"}, None, True),
        ("TimeBetween", {"after": "12:00:00Z"}, None, False),  # strictly after, as Java's isAfter
        ("TimeBetween", {"before": "09:00:00"}, None, False),
    ],
)
def test_dated_conditions_read_the_date_the_trigger_date_or_now(type_name, properties, date, expected):
    variables = {"trigger": {"date": date}} if date else {}
    assert holds(CORE + type_name, context(variables=variables), **properties) is expected


def test_a_date_can_be_an_expression():
    ctx = context(variables={"trigger": {"body": {"when": "2026-11-24T08:00:00Z"}}})
    assert holds(CORE + "DayWeek", ctx, dayOfWeek="TUESDAY", date="{{ trigger.body.when }}")


def test_every_condition_must_hold():
    both = (
        condition(CORE + "ExecutionFlow", namespace="company.team", flowId="upstream"),
        condition(CORE + "ExecutionStatus", **{"in": ["FAILED"]}),
    )
    assert not evaluate(both, context())
    assert evaluate(both, context(state="FAILED"))
    assert evaluate((), context())


@pytest.mark.parametrize(
    ("type_name", "properties", "message"),
    [
        (CORE + "Expression", {"expression": "{{ trigger.nothing.here }}"}, "conditions[1]: unable to render"),
        (CORE + "DayWeek", {"dayOfWeek": "MONDAY", "date": "not a date"}, "conditions[1]: 'not a date'"),
        (CORE + "TimeBetween", {}, "conditions[1]: give 'after', 'before' or both"),
        (CORE + "PublicHoliday", {"country": "FR"}, "does not evaluate io.kestra.plugin.core.condition.PublicHoliday"),
    ],
)
def test_a_condition_that_cannot_be_evaluated_says_which_and_why(type_name, properties, message):
    conditions = (condition(CORE + "Weekend", date="2026-11-28"), condition(type_name, **properties))
    with pytest.raises(ConditionError, match="conditions\\[1\\]") as caught:
        evaluate(conditions, context())
    assert message in str(caught.value)


def test_types_kestra_has_but_flowhub_does_not_evaluate_are_listed_where_they_are():
    multiple = {"type": CORE + "MultipleCondition", "id": "m", "conditions": {}}
    conditions = (
        condition(CORE + "Weekend"),
        condition(CORE + "Not", conditions=[multiple]),
        condition(OLD + "PublicHolidayCondition", country="FR"),
    )
    assert [(gap.path, gap.detail) for gap in not_evaluated(conditions)] == [
        ("conditions[1].conditions[0].type", f"flowhub does not evaluate {CORE}MultipleCondition conditions yet"),
        ("conditions[2].type", f"flowhub does not evaluate {OLD}PublicHolidayCondition conditions yet"),
    ]


@pytest.mark.parametrize(
    ("value", "location", "message"),
    [
        ({"type": "com.example.Nope"}, ("unknown", "type"), "unknown condition type 'com.example.Nope'"),
        ({"type": CORE + "ExecutionStatus", "in": ["DONE"]}, ("in", 0), "Input should be"),
        ({"type": CORE + "DayWeek", "dayOfWeek": "FUNDAY"}, ("dayOfWeek",), "Input should be"),
        ({"type": CORE + "ExecutionFlow", "namespace": "n"}, ("flowId",), "Field required"),
        ({"type": CORE + "Expression", "expression": "{{ x | nope }}"}, ("expression",), "unknown filter 'nope'"),
        ({"type": CORE + "Weekend", "colour": "red"}, ("colour",), "Extra inputs are not permitted"),
        ({"type": CORE + "Or", "conditions": []}, ("conditions",), "at least 1 item"),
        ({"type": CORE + "TimeBetween", "after": "noon"}, ("after",), "expected a time like"),
        ({"type": CORE + "DateTimeBetween", "before": "tomorrow"}, ("before",), "Invalid isoformat"),
    ],
)
def test_bad_conditions_are_refused_at_their_property(value, location, message):
    with pytest.raises(ValidationError) as caught:
        READ.validate_python(value)
    (error,) = caught.value.errors()
    assert error["loc"][-len(location) :] == location
    assert message in error["msg"]
