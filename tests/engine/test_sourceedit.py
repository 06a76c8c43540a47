import pytest
import yaml

from flowhub.engine.sourceedit import set_top_level, yaml_scalar

SOURCE = """\
# my flow
id: hello   # the id
namespace: acme
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


def test_an_existing_value_is_replaced_and_everything_else_kept():
    edited = set_top_level(SOURCE, "id", "bye")
    assert edited == SOURCE.replace("id: hello   # the id", "id: bye   # the id")


def test_a_missing_key_is_appended():
    assert set_top_level(SOURCE, "disabled", True) == SOURCE + "disabled: true\n"
    assert set_top_level(SOURCE.rstrip("\n"), "disabled", False) == SOURCE + "disabled: false\n"


def test_a_nested_key_of_the_same_name_is_not_touched():
    edited = set_top_level(SOURCE, "id", "renamed")
    assert "  - id: t\n" in edited


@pytest.mark.parametrize("value", ["plain", "123", "true", "null", "a: b", "x #y", "", "multi\nline", "ünï"])
def test_scalars_read_back_as_the_same_string(value):
    assert yaml.safe_load(f"k: {yaml_scalar(value)}") == {"k": value}
