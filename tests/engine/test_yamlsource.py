import pytest

from flowhub.engine import yamlsource
from flowhub.engine.errors import FlowTooLargeError, InvalidFlowError


def test_positions_point_at_the_value_of_each_path():
    loaded = yamlsource.load("id: a\ntasks:\n  - id: t\n    type: x\n")
    assert loaded.position(("tasks", 0, "type")) == (4, 11)
    assert loaded.position(("tasks", 0, "missing")) == (3, 5)


def test_invalid_yaml_names_the_line():
    with pytest.raises(InvalidFlowError) as raised:
        yamlsource.load("id: a\ntasks:\n  - id: [unclosed\n")
    (error,) = raised.value.errors
    assert error.detail.startswith("invalid YAML")
    assert (error.path, error.line) == ("$", 4)


def test_duplicate_keys_are_rejected_with_their_line():
    with pytest.raises(InvalidFlowError) as raised:
        yamlsource.load("id: a\nnamespace: b\nid: c\n")
    (error,) = raised.value.errors
    assert (error.path, error.detail, error.line) == ("id", "duplicate key 'id'", 3)


def test_alias_expansion_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 9):
        bomb += f"{chr(97 + level)}: &{chr(97 + level)} [{', '.join(['*' + chr(96 + level)] * 10)}]\n"
    with pytest.raises(InvalidFlowError) as raised:
        yamlsource.load(bomb)
    assert "expands to more than" in raised.value.errors[0].detail


def test_deep_nesting_is_refused():
    with pytest.raises(InvalidFlowError) as raised:
        yamlsource.load("a: " + "[" * 100 + "]" * 100)
    assert "nested deeper than" in raised.value.errors[0].detail


def test_oversized_source_is_refused_before_parsing():
    with pytest.raises(FlowTooLargeError):
        yamlsource.load("a: '" + "x" * (yamlsource.MAX_SOURCE_BYTES + 1) + "'")


def test_merge_keys_are_resolved():
    loaded = yamlsource.load("base: &b {level: WARN}\ntask:\n  <<: *b\n  id: t\n")
    assert loaded.data["task"] == {"level": "WARN", "id": "t"}


def test_python_tags_are_not_constructed():
    with pytest.raises(InvalidFlowError):
        yamlsource.load("a: !!python/object/apply:os.system ['true']\n")


def test_a_stream_splits_into_documents_with_their_line_offsets():
    stream = "---\nid: a\n---   # second\nid: b\nx: 1\n---\n\n"
    assert yamlsource.split_documents(stream) == [(1, "id: a\n"), (3, "id: b\nx: 1\n")]
    assert yamlsource.split_documents("id: a\n") == [(0, "id: a\n")]
    assert yamlsource.split_documents("") == []
