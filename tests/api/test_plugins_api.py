import jsonschema
import pytest
import yaml

from flowhub.engine.parser import parse_flow
from flowhub.engine.registry import Registry, TaskDefinition
from flowhub.engine.tasks.core import TASK_TYPES
from namespaces.flows import task_registry

from .helpers import assert_problem

TYPES = [task_type.TYPE for task_type in task_registry().types()]


CHILD = {"id": "child", "type": "io.kestra.plugin.core.log.Log", "message": "hi"}


def sample(node: dict, schema: dict):
    """A value that the (sub)schema `node` accepts, for the required properties of an example plugin."""
    if "$ref" in node:
        return sample(schema["$defs"][node["$ref"].removeprefix("#/$defs/")], schema)
    if "examples" in node:
        return node["examples"][0]
    if "enum" in node:
        return node["enum"][0]
    if "anyOf" in node:
        return sample(next(branch for branch in node["anyOf"] if branch.get("type") != "null"), schema)
    if node.get("title") == "Task":
        return dict(CHILD)
    if node["type"] == "array":
        return [sample(node["items"], schema)] * node.get("minItems", 0)
    if node["type"] == "object":
        return {name: sample(node["properties"][name], schema) for name in node.get("required", [])}
    return {"string": "x", "integer": 1, "number": 1.5, "boolean": True}[node["type"]]


def minimal_plugin(type_name: str, schema: dict) -> dict:
    """A task or trigger with only its required properties, proven valid by flowhub's parser, not by the schema."""
    plugin = {"id": "t", "type": type_name}
    for name in set(schema["required"]) - set(plugin):
        plugin[name] = sample(schema["properties"][name], schema)
    is_task = task_registry().task(type_name) is not None
    flow = {
        "id": "f",
        "namespace": "n",
        "tasks": [plugin] if is_task else [CHILD],
        "triggers": [] if is_task else [plugin],
    }
    parse_flow(yaml.safe_dump(flow), task_registry())
    return plugin


@pytest.mark.parametrize("prefix", ["/api/v1", "/api/v1/main"])
def test_the_list_names_every_type_once_with_its_aliases_sorted_by_type(api, prefix):
    response = api.get(f"{prefix}/plugins")
    assert response.status_code == 200
    plugins = response.json()
    assert [plugin["type"] for plugin in plugins] == sorted(TYPES)
    by_type = {plugin["type"]: plugin for plugin in plugins}
    assert by_type["io.kestra.plugin.core.log.Log"] == {
        "type": "io.kestra.plugin.core.log.Log",
        "aliases": ["io.kestra.core.tasks.log.Log"],
        "kind": "task",
        "title": "Write one log line per message, at the given level.",
        "description": "Write one log line per message, at the given level.",
    }
    assert by_type["io.kestra.plugin.core.trigger.Schedule"]["kind"] == "trigger"
    assert by_type["io.kestra.plugin.core.trigger.Webhook"]["aliases"] == [
        "io.kestra.core.models.triggers.types.Webhook"
    ]
    assert by_type["io.kestra.plugin.core.flow.Parallel"]["kind"] == "task"
    returns = by_type["io.kestra.plugin.core.debug.Return"]
    assert returns["aliases"] == ["io.kestra.core.tasks.debugs.Return"]
    assert returns["title"] == "Render `format` and return it as the output `value`."


def test_the_endpoints_serve_the_registry_s_types_including_third_party_ones(api, monkeypatch):
    class Shout(TaskDefinition):
        """Upper-case a text.

        A second paragraph.
        """

        TYPE = "com.example.Shout"
        ALIASES = ("com.example.Yell",)

        text: str

    installed = Registry()
    for task_type in (*TASK_TYPES, Shout):
        installed.register(task_type)
    monkeypatch.setattr("flowhub.api.plugins.task_registry", lambda: installed)

    plugins = api.get("/api/v1/plugins").json()
    assert plugins[0] == {
        "type": "com.example.Shout",
        "aliases": ["com.example.Yell"],
        "kind": "task",
        "title": "Upper-case a text.",
        "description": "Upper-case a text.\n\nA second paragraph.",
    }
    schema = api.get("/api/v1/plugins/com.example.Yell").json()
    assert schema["title"] == "com.example.Shout"
    jsonschema.validate({"id": "s", "type": "com.example.Yell", "text": "hi"}, schema)


@pytest.mark.parametrize("type_name", TYPES)
def test_each_type_has_a_valid_schema_that_accepts_good_and_rejects_bad_tasks(api, type_name):
    response = api.get(f"/api/v1/main/plugins/{type_name}")
    assert response.status_code == 200
    schema = response.json()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == type_name
    assert schema["description"]
    assert {"id", "type"} <= set(schema["required"])

    task = minimal_plugin(type_name, schema)
    jsonschema.validate(task, schema)
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.validate({**task, "colour": "red"}, schema)
    for name in schema["required"]:
        with pytest.raises(jsonschema.ValidationError, match="is a required property"):
            jsonschema.validate({key: value for key, value in task.items() if key != name}, schema)
    with pytest.raises(jsonschema.ValidationError, match="is not one of"):
        jsonschema.validate({**task, "type": "io.kestra.plugin.other.Thing"}, schema)
    with pytest.raises(jsonschema.ValidationError, match="does not match"):
        jsonschema.validate({**task, "id": "not valid!"}, schema)


def test_the_schema_of_log_requires_its_message_and_knows_its_levels(api):
    schema = api.get("/api/v1/plugins/io.kestra.plugin.core.log.Log").json()
    assert set(schema["required"]) == {"id", "type", "message"}
    task = {"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": ["a", "b"], "level": "WARN"}
    jsonschema.validate(task, schema)
    with pytest.raises(jsonschema.ValidationError, match="'LOUD' is not one of"):
        jsonschema.validate({**task, "level": "LOUD"}, schema)


def test_an_alias_gives_the_same_schema_which_accepts_the_alias(api):
    by_alias = api.get("/api/v1/plugins/io.kestra.core.tasks.log.Log").json()
    assert by_alias == api.get("/api/v1/plugins/io.kestra.plugin.core.log.Log").json()
    assert by_alias["properties"]["type"]["enum"] == ["io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log"]
    jsonschema.validate({"id": "t", "type": "io.kestra.core.tasks.log.Log", "message": ["a", "b"]}, by_alias)


def test_an_unknown_type_is_a_404_problem(api):
    body = assert_problem(api.get("/api/v1/main/plugins/io.kestra.plugin.nope.Nope"), 404, "not-found")
    assert "io.kestra.plugin.nope.Nope" in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/plugins", "/api/v1/plugins/io.kestra.plugin.core.log.Log"])
def test_anonymous_is_401(anonymous, path):
    assert_problem(anonymous.get(path), 401, "unauthenticated")
