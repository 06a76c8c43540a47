"""The registry's names for task types, and what the plugins API publishes of each: a summary and a JSON Schema."""

import jsonschema
import pytest
from pydantic import ValidationError

from flowhub.engine.registry import Registry, TaskDefinition, default_registry, describe, json_schema
from flowhub.engine.tasks.core import Log, Return


class Shout(TaskDefinition):
    """Upper-case a text.

    The second paragraph says more.
    """

    TYPE = "com.example.Shout"
    ALIASES = ("com.example.Yell", "com.example.Holler")

    text: str
    times: int = 1


class Undocumented(TaskDefinition):
    TYPE = "com.example.Undocumented"


class LoudLog(TaskDefinition):
    """A replacement for the core Log, under its full name only."""

    TYPE = Log.TYPE

    message: str


def registry(*task_types: type[TaskDefinition]) -> Registry:
    built = Registry()
    for task_type in task_types:
        built.register(task_type)
    return built


def test_a_type_resolves_by_its_full_name_and_by_each_alias():
    names = registry(Log, Shout)
    assert [names.resolve(name) for name in ("com.example.Shout", "com.example.Yell", "com.example.Holler")] == [
        Shout,
        Shout,
        Shout,
    ]
    assert names.resolve("io.kestra.core.tasks.log.Log") is Log
    assert names.resolve("com.example.Whisper") is None


def test_types_lists_each_type_once_in_registration_order_despite_its_aliases():
    assert registry(Shout, Log, Return).types() == [Shout, Log, Return]


def test_a_type_registered_again_under_a_full_name_replaces_the_old_one_in_the_list():
    names = registry(Log, Return, LoudLog)
    assert names.types() == [LoudLog, Return]
    assert names.resolve(Log.TYPE) is LoudLog
    assert names.resolve("io.kestra.core.tasks.log.Log") is Log


def test_the_default_registry_holds_the_core_types():
    names = default_registry()
    assert {Log, Return} <= set(names.types())
    assert names.resolve("io.kestra.core.tasks.debugs.Return") is Return


@pytest.mark.parametrize(
    ("task_type", "expected"),
    [
        (
            Log,
            {
                "type": "io.kestra.plugin.core.log.Log",
                "aliases": ["io.kestra.core.tasks.log.Log"],
                "kind": "task",
                "title": "Write one log line per message, at the given level.",
                "description": "Write one log line per message, at the given level.",
            },
        ),
        (
            Shout,
            {
                "type": "com.example.Shout",
                "aliases": ["com.example.Yell", "com.example.Holler"],
                "kind": "task",
                "title": "Upper-case a text.",
                "description": "Upper-case a text.\n\nThe second paragraph says more.",
            },
        ),
        (
            Undocumented,
            {
                "type": "com.example.Undocumented",
                "aliases": [],
                "kind": "task",
                "title": "com.example.Undocumented",
                "description": "",
            },
        ),
    ],
)
def test_describe_gives_the_names_and_the_type_s_own_docstring(task_type, expected):
    assert describe(task_type) == expected


@pytest.mark.parametrize("task_type", [Log, Return, Shout, Undocumented])
def test_the_json_schema_is_a_valid_2020_12_schema_titled_with_the_full_name(task_type):
    schema = json_schema(task_type)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == task_type.TYPE
    assert schema["description"] == describe(task_type)["description"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


def test_the_json_schema_constrains_type_to_the_full_name_and_the_aliases():
    schema = json_schema(Shout)
    assert schema["properties"]["type"]["enum"] == ["com.example.Shout", "com.example.Yell", "com.example.Holler"]
    for name in ("com.example.Shout", "com.example.Holler"):
        jsonschema.validate({"id": "s", "type": name, "text": "hi"}, schema)
    with pytest.raises(jsonschema.ValidationError, match="is not one of"):
        jsonschema.validate({"id": "s", "type": "io.kestra.plugin.core.log.Log", "text": "hi"}, schema)


def test_each_json_schema_is_a_fresh_copy():
    json_schema(Log)["properties"].clear()
    assert "message" in json_schema(Log)["properties"]


# (type, task): the JSON Schema must give the model's verdict. `type` is always a name of the task
# type here: the model never sees another one, the parser dispatches on it. Where pydantic coerces
# ("2" for an int) the schema is stricter, which an editor may be; no such case is listed.
AGREEMENT = [
    (Log, {"id": "l", "type": Log.TYPE, "message": "hi"}),
    (Log, {"id": "l", "type": "io.kestra.core.tasks.log.Log", "message": ["a", "b"], "level": "WARN"}),
    (Log, {"id": "l", "type": Log.TYPE, "message": "hi", "description": "says hi"}),
    (Log, {"id": "l", "type": Log.TYPE}),
    (Log, {"id": "l", "type": Log.TYPE, "message": "hi", "level": "LOUD"}),
    (Log, {"id": "l", "type": Log.TYPE, "message": 3}),
    (Log, {"id": "l", "type": Log.TYPE, "message": "hi", "colour": "red"}),
    (Log, {"type": Log.TYPE, "message": "hi"}),
    (Log, {"id": "not valid!", "type": Log.TYPE, "message": "hi"}),
    (Log, {"id": "x" * 101, "type": Log.TYPE, "message": "hi"}),
    (Return, {"id": "r", "type": Return.TYPE}),
    (Return, {"id": "r", "type": Return.TYPE, "format": "{{ inputs.who }}"}),
    (Return, {"id": "r", "type": Return.TYPE, "format": ["a"]}),
    (Shout, {"id": "s", "type": "com.example.Yell", "text": "hi", "times": 2}),
    (Shout, {"id": "s", "type": Shout.TYPE, "text": "hi", "times": "often"}),
    (Shout, {"id": "s", "type": Shout.TYPE}),
]


def _model_accepts(task_type, task):
    try:
        task_type.model_validate(task)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("task_type", "task"), AGREEMENT)
def test_the_json_schema_gives_the_model_s_verdict(task_type, task):
    validator = jsonschema.Draft202012Validator(json_schema(task_type))
    assert validator.is_valid(task) == _model_accepts(task_type, task)


def test_the_agreement_table_has_both_verdicts_for_every_type():
    verdicts = {(task_type, _model_accepts(task_type, task)) for task_type, task in AGREEMENT}
    assert verdicts == {(task_type, verdict) for task_type in (Log, Return, Shout) for verdict in (True, False)}
