import jsonschema
import pytest

from namespaces.flows import task_registry

from .helpers import assert_problem

TYPES = [task_type.TYPE for task_type in task_registry().types()]


def test_the_list_names_every_type_with_its_aliases(api):
    plugins = {plugin["type"]: plugin for plugin in api.get("/api/v1/main/plugins").json()}
    assert plugins["io.kestra.plugin.core.log.Log"]["aliases"] == ["io.kestra.core.tasks.log.Log"]
    assert plugins["io.kestra.plugin.core.debug.Return"]["title"].startswith("Render `format`")
    assert set(plugins) == set(TYPES)
    assert list(plugins) == sorted(plugins)


@pytest.mark.parametrize("type_name", TYPES)
def test_each_type_has_a_valid_schema_that_accepts_good_and_rejects_bad_tasks(api, type_name):
    schema = api.get(f"/api/v1/plugins/{type_name}").json()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["title"] == type_name
    required = set(schema.get("required", []))
    assert {"id", "type"} <= required
    example = {"id": "t", "type": type_name, **{name: "x" for name in required - {"id", "type"}}}
    jsonschema.validate(example, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example, "colour": "red"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({key: value for key, value in example.items() if key != "id"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example, "type": "io.kestra.plugin.other.Thing"}, schema)


def test_an_alias_gives_the_same_schema(api):
    by_alias = api.get("/api/v1/plugins/io.kestra.core.tasks.log.Log").json()
    assert by_alias == api.get("/api/v1/plugins/io.kestra.plugin.core.log.Log").json()
    jsonschema.validate({"id": "t", "type": "io.kestra.core.tasks.log.Log", "message": ["a", "b"]}, by_alias)


def test_unknown_type_is_404_and_anonymous_is_401(api, anonymous):
    assert_problem(api.get("/api/v1/plugins/io.kestra.plugin.nope.Nope"), 404, "not-found")
    assert_problem(anonymous.get("/api/v1/plugins"), 401, "unauthenticated")
