"""What templates see besides outputs: labels, envs, trigger, originalId, parent, parents, currentEachOutput()."""

import pytest

from flowhub.engine import templating
from flowhub.engine.context import ExecutionInfo, env_variables, nested_labels, variables
from flowhub.engine.errors import TemplateError
from flowhub.engine.lineage import lineage_variables
from flowhub.engine.planner import TaskRunView
from flowhub.engine.states import State

from .test_runnable_tasks import saved

FLOW = saved("    type: io.kestra.plugin.core.log.Log\n    message: hi\n")


def info(**overrides) -> ExecutionInfo:
    fields = {
        "id": "e2",
        "state": "RUNNING",
        "start_date": "2026-01-01T00:00:00Z",
        "original_id": "e1",
        "flow_revision": 3,
        "labels": {},
        "inputs": {},
    }
    return ExecutionInfo(**{**fields, **overrides})


def render(source: str, context: dict) -> str:
    return templating.render(source, context)


def test_dotted_labels_nest_as_in_kestra_and_a_clash_keeps_the_key_as_written():
    assert nested_labels({"system.correlationId": "e1", "team": "data", "a.b.c": "1", "a.b.d": "2"}) == {
        "system": {"correlationId": "e1"},
        "team": "data",
        "a": {"b": {"c": "1", "d": "2"}},
    }
    assert nested_labels({"env": "prod", "env.region": "eu"}) == {"env": "prod", "env.region": "eu"}
    assert nested_labels({"x.y": "1", "x": "2"}) == {"x": {"y": "1"}}
    context = variables(FLOW, info(labels={"system.correlationId": "e1"}), {})
    assert render("{{ labels.system.correlationId }}", context) == "e1"


def test_envs_are_the_env_prefixed_variables_lower_cased():
    assert env_variables({"ENV_MY_VAR": "x", "ENV_Region": "eu", "PATH": "/bin", "MY_ENV_X": "no"}) == {
        "my_var": "x",
        "region": "eu",
    }


def test_envs_come_from_the_server_s_environment(monkeypatch):
    monkeypatch.setenv("ENV_GREETING", "hello")
    assert render("{{ envs.greeting }}", variables(FLOW, info(), {})) == "hello"


def test_trigger_holds_the_trigger_s_variables_and_is_absent_for_a_manual_execution():
    triggered = info(trigger={"id": "hook", "type": "io.kestra.plugin.core.trigger.Webhook", "variables": {"x": 1}})
    assert render("{{ trigger.x }}", variables(FLOW, triggered, {})) == "1"
    manual = variables(FLOW, info(), {})
    assert render("{{ trigger.date ?? execution.startDate }}", manual) == "2026-01-01T00:00:00Z"
    with pytest.raises(TemplateError):
        render("{{ trigger.x }}", manual)


def test_original_id_is_the_first_execution_of_a_replay_chain():
    assert render("{{ execution.originalId }}/{{ execution.id }}", variables(FLOW, info(), {})) == "e1/e2"


def runs(*views: TaskRunView) -> dict[str, TaskRunView]:
    return {view.id: view for view in views}


# outer ForEach over [a, b] > inner ForEach (per outer value) over [1, 2] > Sequential > Log, with a
# sibling Return next to the Sequential.
OUTER = TaskRunView("o", "outer", State.RUNNING, {"values": ["a", "b"]})
INNER = TaskRunView("i", "inner", State.RUNNING, {"values": ["1", "2"]}, "o", "a", 0)
GROUP = TaskRunView("g", "group", State.RUNNING, {}, "i", "2", 1)
LOG = TaskRunView("l", "log", State.RUNNING, {}, "g", "2")
SIBLING_OUTPUTS = {"a": {"1": {"value": "a1"}, "2": {"value": "a2"}}, "b": {"1": {"value": "b1"}}}


def test_parents_are_listed_nearest_first_with_their_values_and_outputs():
    found = lineage_variables(LOG, runs(OUTER, INNER, GROUP, LOG))
    assert found["parents"] == [
        {"task": {"id": "group"}, "taskrun": {"value": "2"}, "outputs": {}},
        {"task": {"id": "inner"}, "taskrun": {"value": "a"}, "outputs": {"values": ["1", "2"]}},
        {"task": {"id": "outer"}, "taskrun": {"value": None}, "outputs": {"values": ["a", "b"]}},
    ]
    assert found["parent"] == found["parents"][0]
    top = lineage_variables(OUTER, runs(OUTER))
    assert "parent" not in top and top["parents"] == []


def test_current_each_output_picks_the_sibling_s_outputs_for_the_current_values_across_nested_loops():
    context = {**lineage_variables(LOG, runs(OUTER, INNER, GROUP, LOG)), "outputs": {"sibling": SIBLING_OUTPUTS}}
    assert render("{{ currentEachOutput(outputs.sibling).value }}", context) == "a2"
    elsewhere = TaskRunView("l2", "log", State.RUNNING, {}, "g2", "1")
    other_group = TaskRunView("g2", "group", State.RUNNING, {}, "i2", "1", 0)
    other_inner = TaskRunView("i2", "inner", State.RUNNING, {}, "o", "b", 1)
    views = runs(OUTER, other_inner, other_group, elsewhere)
    context = {**lineage_variables(elsewhere, views), "outputs": {"sibling": SIBLING_OUTPUTS}}
    assert render("{{ currentEachOutput(outputs.sibling).value }}", context) == "b1"
    missing = {**context, "outputs": {"sibling": {"a": {}}}}
    assert render("[{{ currentEachOutput(outputs.sibling) }}]", missing) == "[]"
    with pytest.raises(TemplateError, match="expects a task's outputs"):
        render("{{ currentEachOutput('text') }}", context)
