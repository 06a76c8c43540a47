import pytest

from flowhub.engine.defaults import PluginDefault, apply_defaults
from flowhub.engine.parser import parse_flow
from flowhub.engine.registry import default_registry

from .test_parser import errors_of

LOG = "io.kestra.plugin.core.log.Log"


def default(**fields) -> PluginDefault:
    return PluginDefault.model_validate(fields)


def test_a_default_fills_what_the_task_leaves_out():
    task = {"id": "t", "type": LOG, "message": "hi"}
    assert apply_defaults(task, [default(type=LOG, values={"level": "WARN", "message": "x"})]) == {
        **task,
        "level": "WARN",
    }


def test_a_forced_default_overrides_the_task():
    task = {"id": "t", "type": LOG, "message": "hi", "level": "INFO"}
    assert apply_defaults(task, [default(type=LOG, values={"level": "ERROR"}, forced=True)])["level"] == "ERROR"


def test_defaults_match_by_type_prefix_and_never_set_id_or_type():
    task = {"id": "t", "type": LOG}
    merged = apply_defaults(
        task, [default(type="io.kestra.plugin.core", values={"id": "x", "type": "y", "message": "m"})]
    )
    assert merged == {"id": "t", "type": LOG, "message": "m"}
    assert apply_defaults(task, [default(type="io.kestra.plugin.scripts", values={"message": "m"})]) == task


def test_maps_merge_key_by_key():
    task = {"id": "t", "type": "x.Http", "headers": {"a": "task"}}
    merged = apply_defaults(task, [default(type="x", values={"headers": {"a": "default", "b": "default"}})])
    assert merged["headers"] == {"a": "task", "b": "default"}


FLOW = """\
id: f
namespace: n
pluginDefaults:
  - type: io.kestra.plugin.core.log
    values:
      level: WARN
      message: from defaults
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
  - id: b
    type: io.kestra.plugin.core.log.Log
    message: own
"""


def test_a_flows_plugin_defaults_apply_to_its_tasks():
    flow = parse_flow(FLOW, default_registry())
    assert [(task.message, task.level.value) for task in flow.tasks] == [("from defaults", "WARN"), ("own", "WARN")]


def test_task_defaults_is_the_legacy_name():
    flow = parse_flow(FLOW.replace("pluginDefaults", "taskDefaults"), default_registry())
    assert flow.tasks[0].message == "from defaults"


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        ("    values:\n      level: LOUD\n", ("tasks[1].level", 10)),
        ("    values: {}\n    colour: red\n", ("pluginDefaults[0].colour", 6)),
    ],
)
def test_bad_defaults_are_reported(replacement, expected):
    source = FLOW.replace("    values:\n      level: WARN\n      message: from defaults\n", replacement)
    found = [(path, line) for path, _, line in errors_of(source)]
    assert expected in found
