import pytest

from flowhub.engine.errors import InvalidInputsError
from flowhub.engine.inputs import InputSpec, resolve


def spec(**fields) -> InputSpec:
    return InputSpec.model_validate({"id": "x", **fields})


@pytest.mark.parametrize(
    ("declared", "supplied", "expected"),
    [
        ({"type": "STRING"}, "hello", "hello"),
        ({"type": "STRING"}, "", ""),
        ({"type": "STRING", "validator": "[a-z]+"}, "abc", "abc"),
        ({"type": "INT"}, "42", 42),
        ({"type": "INT"}, "-7", -7),
        ({"type": "INT"}, 5, 5),
        ({"type": "INT", "min": 1, "max": 10}, "10", 10),
        ({"type": "FLOAT"}, "2.5", 2.5),
        ({"type": "FLOAT"}, 3, 3.0),
        ({"type": "BOOLEAN"}, "true", True),
        ({"type": "BOOLEAN"}, "TRUE", True),
        ({"type": "BOOLEAN"}, "yes", False),  # Java's Boolean.valueOf, as Kestra
        ({"type": "BOOL"}, False, False),
        ({"type": "JSON"}, '{"a": [1, 2]}', {"a": [1, 2]}),
        ({"type": "JSON"}, [1, 2], [1, 2]),
    ],
)
def test_supplied_values_are_coerced_to_the_declared_type(declared, supplied, expected):
    assert resolve((spec(**declared),), {"x": supplied}) == {"x": expected}


@pytest.mark.parametrize(
    ("declared", "supplied", "message"),
    [
        ({"type": "STRING", "validator": "[a-z]+"}, "ABC", "it must match the pattern '[a-z]+', but received 'ABC'"),
        ({"type": "INT"}, "4.5", "expected an integer, but received '4.5'"),
        ({"type": "INT"}, "1e3", "expected an integer, but received '1e3'"),
        ({"type": "INT"}, "99999999999", "integer out of range, but received '99999999999'"),
        ({"type": "INT"}, True, "expected an integer, but received 'true'"),
        ({"type": "INT", "min": 1}, "0", "it must be more than 1, but received '0'"),
        ({"type": "INT", "max": 10}, "11", "it must be less than 10, but received '11'"),
        ({"type": "FLOAT"}, "abc", "expected a number, but received 'abc'"),
        ({"type": "FLOAT"}, "nan", "expected a number, but received 'nan'"),
        ({"type": "JSON"}, "{oops", "expected JSON (Expecting property name enclosed in double quotes"),
    ],
)
def test_bad_values_name_the_input_and_the_reason(declared, supplied, message):
    with pytest.raises(InvalidInputsError) as raised:
        resolve((spec(**declared),), {"x": supplied})
    (error,) = raised.value.errors
    assert error.path == "inputs.x"
    assert error.detail.startswith(message)


def test_missing_required_input_is_an_error_and_defaults_fill_in():
    with pytest.raises(InvalidInputsError) as raised:
        resolve((spec(type="STRING"),), {})
    assert [(e.path, e.detail) for e in raised.value.errors] == [("inputs.x", "missing required input")]
    assert resolve((spec(type="STRING", defaults="d"),), {}) == {"x": "d"}
    assert resolve((spec(type="INT", defaults=3),), {"x": ""}) == {"x": 3}
    assert resolve((spec(type="STRING", required=False),), {}) == {}


def test_unknown_inputs_are_ignored_and_dotted_ids_nest():
    specs = (InputSpec(id="db.host", type="STRING"), InputSpec(id="db.port", type="INT"))
    assert resolve(specs, {"db.host": "h", "db.port": "5432", "other": "x"}) == {"db": {"host": "h", "port": 5432}}


def test_all_bad_inputs_are_reported_together():
    specs = (InputSpec(id="a", type="INT"), InputSpec(id="b", type="STRING"))
    with pytest.raises(InvalidInputsError) as raised:
        resolve(specs, {"a": "x"})
    assert [error.path for error in raised.value.errors] == ["inputs.a", "inputs.b"]
