import pytest

from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure, TemplateError
from flowhub.engine.tasks.core import Fail, Log, OutputValues, Return


class ListSink:
    def __init__(self):
        self.lines: list[tuple[str, str]] = []
        self.held_at_flush: list[int] = []
        """How many lines had come at each `flush_if_due()` call."""

    def emit(self, level: str, message: str) -> None:
        self.lines.append((level, message))

    def flush_if_due(self) -> None:
        self.held_at_flush.append(len(self.lines))


def context(sink=None) -> RunContext:
    return RunContext({"inputs": {"name": "ada"}, "outputs": {}}, sink or ListSink())


def test_log_writes_each_message_at_its_level():
    sink = ListSink()
    task = Log(id="l", type=Log.TYPE, message=["hi {{ inputs.name }}", "bye"], level="WARN")
    assert task.run(context(sink)) == {}
    assert sink.lines == [("WARN", "hi ada"), ("WARN", "bye")]


def test_return_renders_its_format_into_value():
    assert Return(id="r", type=Return.TYPE, format="{{ inputs.name | title }}").run(context()) == {"value": "Ada"}
    assert Return(id="r", type=Return.TYPE).run(context()) == {"value": None}


def test_a_missing_output_fails_the_task():
    with pytest.raises(TemplateError, match="outputs"):
        Return(id="r", type=Return.TYPE, format="{{ outputs.nope.value }}").run(context())


def test_task_types_publish_a_json_schema():
    schema = Log.model_json_schema()
    assert set(schema["required"]) == {"id", "type", "message"}
    assert schema["additionalProperties"] is False


def test_output_values_renders_maps_and_lists_all_the_way_down():
    task = OutputValues(
        id="o", type=OutputValues.TYPE, values={"who": "{{ inputs.name }}", "nested": {"list": ["{{ 1 + 1 }}", 3]}}
    )
    assert task.run(context()) == {"values": {"who": "ada", "nested": {"list": ["2", 3]}}}


def test_fail_fails_with_its_rendered_message():
    with pytest.raises(TaskFailure, match=r"^no ada allowed$"):
        Fail(id="f", type=Fail.TYPE, errorMessage="no {{ inputs.name }} allowed").run(context())
    with pytest.raises(TaskFailure, match=r"^Task failure$"):
        Fail(id="f", type=Fail.TYPE).run(context())


@pytest.mark.parametrize(
    ("condition", "fails"),
    [
        ("{{ inputs.name == 'ada' }}", True),
        ("{{ inputs.name == 'bob' }}", False),
        ("0", False),
        ("-0", False),
        ("", False),
        (" false ", False),
        ("no", True),  # Kestra's truth: anything but empty, false, 0 and -0
        (True, True),
        (False, False),
    ],
)
def test_fail_with_a_condition_fails_only_when_it_renders_truthy(condition, fails):
    task = Fail(id="f", type=Fail.TYPE, condition=condition)
    if fails:
        with pytest.raises(TaskFailure):
            task.run(context())
    else:
        assert task.run(context()) == {}
