"""Kestra's trigger conditions: read under every name Kestra gives them, and whether each holds."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from flowhub.engine.conditions import (
    Condition,
    ConditionContext,
    ConditionError,
    ExecutionFacts,
    evaluate,
)
from flowhub.engine.states import State

READ = TypeAdapter(Condition)
CORE = "io.kestra.plugin.core.condition."
OLD = "io.kestra.core.models.conditions.types."
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def condition(type_name: str, **properties):
    return READ.validate_python({"type": type_name, **properties})


def context(
    namespace="company.team",
    flow_id="upstream",
    state="SUCCESS",
    labels=None,
    outputs=None,
    variables=None,
    now=None,
    attempts=(),
):
    facts = ExecutionFacts(namespace, flow_id, state, labels or {}, outputs or {}, lambda: attempts)
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


@pytest.mark.parametrize(
    ("properties", "date", "expected"),
    [
        ({"country": "FR"}, "2026-07-14T10:00:00+02:00", True),
        ({"country": "FR"}, "2026-07-15T10:00:00+02:00", False),
        ({"country": "fr"}, "2026-07-14", True),
        ({"country": "US"}, "2026-07-03", True),  # Independence Day, observed on the Friday
        ({"country": "DE"}, "2026-01-06", False),
        ({"country": "DE", "subDivision": "BY"}, "2026-01-06", True),  # Epiphany, in Bavaria only
        ({"country": "DE", "subDivision": "de-by"}, "2026-01-06", True),  # ISO 3166-2 as written
        ({"country": "DE", "subDivision": "BE"}, "2026-01-06", False),
    ],
)
def test_public_holiday_reads_the_country_s_calendar_on_the_trigger_date(properties, date, expected):
    assert holds(CORE + "PublicHoliday", context(variables={"trigger": {"date": date}}), **properties) is expected


def test_public_holiday_reads_its_date_and_country_as_expressions_under_every_name():
    ctx = context(variables={"trigger": {"body": {"day": "2026-12-25", "country": "GB"}}})
    for name in (CORE + "PublicHoliday", CORE + "PublicHolidayCondition", OLD + "PublicHolidayCondition"):
        assert holds(name, ctx, date="{{ trigger.body.day }}", country="{{ trigger.body.country }}")
    assert not holds(CORE + "PublicHoliday", ctx, date="2026-12-23", country="{{ trigger.body.country }}")


def test_public_holiday_without_a_country_takes_the_server_s_locale(monkeypatch):
    christmas = context(variables={"trigger": {"date": "2026-12-25T09:00:00Z"}})
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert holds(CORE + "PublicHoliday", christmas)
    assert not holds(CORE + "PublicHoliday", context(variables={"trigger": {"date": "2026-07-04"}}))
    monkeypatch.setenv("LANG", "C.UTF-8")
    with pytest.raises(ConditionError, match="no 'country', and the server's locale"):
        holds(CORE + "PublicHoliday", christmas)


RETRIED_THEN_SUCCEEDED = ((State.SUCCESS,), (State.FAILED, State.FAILED, State.SUCCESS))


@pytest.mark.parametrize(
    ("properties", "attempts", "expected"),
    [
        ({"in": ["FAILED"]}, RETRIED_THEN_SUCCEEDED, True),
        ({"in": ["SUCCESS"]}, RETRIED_THEN_SUCCEEDED, True),  # the last attempt of the retried run
        ({"in": ["KILLED"]}, RETRIED_THEN_SUCCEEDED, False),
        ({"in": ["FAILED", "SUCCESS"], "notIn": ["FAILED"]}, RETRIED_THEN_SUCCEEDED, True),
        ({"in": ["FAILED"], "notIn": ["FAILED"]}, RETRIED_THEN_SUCCEEDED, False),
        ({"in": ["SUCCESS"]}, ((State.SUCCESS,), (State.FAILED,)), False),  # no run had a second attempt
        ({}, RETRIED_THEN_SUCCEEDED, False),  # without `in`, no attempt's state is in it: Kestra's
        ({"in": ["FAILED"]}, (), False),  # a Webhook's execution, yet to start
    ],
)
def test_has_retry_attempt_looks_at_the_attempts_of_retried_task_runs(properties, attempts, expected):
    for name in (CORE + "HasRetryAttempt", CORE + "HasRetryAttemptCondition", OLD + "HasRetryAttemptCondition"):
        assert holds(name, context(attempts=attempts), **properties) is expected


MULTIPLE = {
    "type": CORE + "MultipleCondition",
    "id": "both",
    "conditions": {
        "a": {"type": CORE + "ExecutionFlow", "namespace": "company.team", "flowId": "a"},
        "success": {"type": CORE + "ExecutionStatus", "in": ["SUCCESS"]},
    },
}


def test_a_multiple_condition_holds_for_an_execution_one_of_its_conditions_holds_for_and_awaits_the_rest():
    both = condition(MULTIPLE["type"], **{key: value for key, value in MULTIPLE.items() if key != "type"})
    assert condition(OLD + "MultipleCondition", id="both", conditions=MULTIPLE["conditions"]) == both.model_copy(
        update={"type": OLD + "MultipleCondition"}
    )
    a_failed = context(flow_id="a", state="FAILED")
    assert both.holds(a_failed)
    (success,) = both.still_awaited(a_failed)
    assert (success.key, success.namespace, success.flowId, success.states) == ("success", None, None, None)
    (a,) = both.still_awaited(context(flow_id="other"))
    assert (a.key, a.namespace, a.flowId) == ("a", "company.team", "a")
    assert both.still_awaited(context(flow_id="a")) == ()
    assert not both.holds(context(flow_id="other", state="FAILED"))


@pytest.mark.parametrize(
    ("properties", "bounds"),
    [
        ({}, (datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC))),
        (
            {"window": "PT6H", "windowAdvance": "PT3H"},
            (datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 23, 15, tzinfo=UTC)),
        ),
        ({"timeWindow": {"type": "SLIDING_WINDOW", "window": "PT1H"}}, (MONDAY_NOON - timedelta(hours=1), MONDAY_NOON)),
        ({"timeWindow": {"type": "SLIDING_WINDOW"}, "window": "PT2H"}, (MONDAY_NOON - timedelta(hours=2), MONDAY_NOON)),
        ({"timeWindow": {"type": "DAILY_TIME_DEADLINE", "deadline": "09:00:00Z"}}, None),
    ],
)
def test_a_multiple_condition_s_window_is_its_time_window_with_window_and_advance_as_given(properties, bounds):
    multiple = condition(MULTIPLE["type"], id="m", conditions=MULTIPLE["conditions"], **properties)
    assert multiple.bounds(MONDAY_NOON) == bounds
    assert multiple.holds(context()) is (bounds is not None)


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
        (CORE + "PublicHoliday", {"country": "{{ 'XX' }}"}, "conditions[1]: unknown country 'XX'"),
    ],
)
def test_a_condition_that_cannot_be_evaluated_says_which_and_why(type_name, properties, message):
    conditions = (condition(CORE + "Weekend", date="2026-11-28"), condition(type_name, **properties))
    with pytest.raises(ConditionError, match="conditions\\[1\\]") as caught:
        evaluate(conditions, context())
    assert message in str(caught.value)


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
        ({"type": CORE + "PublicHoliday", "country": "XX"}, ("country",), "unknown country 'XX'"),
        (
            {"type": CORE + "PublicHoliday", "country": "DE", "subDivision": "ZZ"},
            ("subDivision",),
            "unknown subdivision 'ZZ' of DE; its subdivisions: AUGSBURG, BB, BE,",
        ),
        ({"type": CORE + "HasRetryAttempt", "notIn": ["DONE"]}, ("notIn", 0), "Input should be"),
        ({**MULTIPLE, "conditions": {}}, ("conditions",), "at least 1 item"),
        ({**MULTIPLE, "id": "-a"}, ("id",), "String should match pattern"),
        ({**MULTIPLE, "window": "PT0S"}, ("window",), "must be longer than zero"),
        ({**MULTIPLE, "timeWindow": {"type": "DAILY_TIME_DEADLINE"}}, ("timeWindow",), "needs 'deadline'"),
        ({**MULTIPLE, "conditions": {"a": {"type": CORE + "Nope"}}}, ("a", "unknown", "type"), "unknown condition"),
        ({"type": CORE + "Not", "conditions": [MULTIPLE]}, ("conditions", 0), "one of a Flow trigger's own"),
        ({**MULTIPLE, "conditions": {"a": MULTIPLE}}, ("conditions", "a"), "one of a Flow trigger's own"),
    ],
)
def test_bad_conditions_are_refused_at_their_property(value, location, message):
    with pytest.raises(ValidationError) as caught:
        READ.validate_python(value)
    (error,) = caught.value.errors()
    assert error["loc"][-len(location) :] == location
    assert message in error["msg"]
