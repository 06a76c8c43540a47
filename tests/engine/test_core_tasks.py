import pytest

from flowhub.engine.context import RunContext
from flowhub.engine.errors import TemplateError
from flowhub.engine.tasks.core import Log, Return


class ListSink:
    def __init__(self):
        self.lines: list[tuple[str, str]] = []

    def emit(self, level: str, message: str) -> None:
        self.lines.append((level, message))


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
