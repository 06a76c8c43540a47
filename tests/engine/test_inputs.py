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


@pytest.mark.parametrize(
    ("declared", "supplied", "expected"),
    [
        ({"type": "DATETIME"}, "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        ({"type": "DATETIME"}, "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"),
        (
            {"type": "DATETIME", "after": "2024-01-01T00:00:00Z"},
            "2024-05-01T10:00:00.5Z",
            "2024-05-01T10:00:00.500000Z",
        ),
        ({"type": "DATE"}, "2024-02-29", "2024-02-29"),
        ({"type": "DATE", "before": "2025-01-01"}, "2024-12-31", "2024-12-31"),
        ({"type": "TIME"}, "13:45", "13:45:00"),
        ({"type": "TIME", "after": "08:00"}, "13:45:30.25", "13:45:30.250000"),
        ({"type": "DURATION"}, "PT5M6S", "PT5M6S"),
        ({"type": "DURATION"}, "P1DT2H", "PT26H"),
        ({"type": "DURATION"}, "PT0.25S", "PT0.25S"),
        ({"type": "DURATION", "min": "PT1M", "max": "PT1H"}, "PT30M", "PT30M"),
        (
            {"type": "FILE"},
            "kestra:///acme/f/executions/x/inputs/f/a.csv",
            "kestra:///acme/f/executions/x/inputs/f/a.csv",
        ),
        ({"type": "FILE"}, "nsfile:///data/a.csv", "nsfile:///data/a.csv"),
        ({"type": "YAML"}, "a: [1, 2]\nb: x\n", {"a": [1, 2], "b": "x"}),
        ({"type": "YAML"}, {"already": "parsed"}, {"already": "parsed"}),
        ({"type": "URI"}, "https://example.com/a?b=c", "https://example.com/a?b=c"),
        ({"type": "EMAIL"}, "ada@example.com", "ada@example.com"),
        ({"type": "SECRET", "validator": "[a-z0-9]{4,}"}, "s3cret", "s3cret"),
        ({"type": "ENUM", "values": ["a", "b"]}, "b", "b"),
        ({"type": "SELECT", "values": ["a", "b"]}, "a", "a"),
        ({"type": "SELECT", "values": ["a"], "allowCustomValue": True}, "z", "z"),
        ({"type": "MULTISELECT", "values": ["a", "b", "c"]}, '["a", "c"]', ["a", "c"]),
        ({"type": "MULTISELECT", "options": ["a", "b"]}, ["b"], ["b"]),
        ({"type": "ARRAY", "itemType": "INT"}, "[1, 2, 3]", [1, 2, 3]),
        ({"type": "ARRAY", "itemType": "INT"}, ["4", 5], [4, 5]),
        ({"type": "ARRAY", "itemType": "DATE"}, '["2024-01-01"]', ["2024-01-01"]),
    ],
)
def test_every_kestra_type_is_read_from_text_and_json(declared, supplied, expected):
    assert resolve((spec(**declared),), {"x": supplied}) == {"x": expected}


@pytest.mark.parametrize(
    ("declared", "supplied", "message"),
    [
        ({"type": "DATETIME"}, "2024-05-01T10:00:00", "expected an ISO-8601 date-time with a time zone"),
        ({"type": "DATETIME"}, "2024-05-01", "expected an ISO-8601 date-time with a time zone"),
        ({"type": "DATETIME", "after": "2024-06-01T00:00:00Z"}, "2024-05-01T10:00:00Z", "it must be after 2024-06-01"),
        ({"type": "DATE"}, "2024-02-30", "expected a date like 2024-05-01"),
        ({"type": "DATE"}, "01/02/2024", "expected a date like 2024-05-01"),
        ({"type": "DATE", "before": "2024-01-01"}, "2024-06-01", "it must be before 2024-01-01"),
        ({"type": "TIME"}, "25:00", "expected a time like 13:45:30"),
        ({"type": "DURATION"}, "5 minutes", "expected an ISO-8601 duration"),
        ({"type": "DURATION"}, "P1Y", "expected an ISO-8601 duration"),
        ({"type": "DURATION"}, "PT", "expected an ISO-8601 duration"),
        ({"type": "DURATION", "max": "PT1H"}, "PT2H", "it must be less than PT1H"),
        ({"type": "FILE"}, "/etc/passwd", "expected an uploaded file, or a kestra:// or nsfile:// URI"),
        ({"type": "YAML"}, "a: [", "expected YAML"),
        ({"type": "URI"}, "not a uri", "expected a URI"),
        ({"type": "EMAIL"}, "ada at example.com", "expected an email address"),
        ({"type": "ENUM", "values": ["a", "b"]}, "c", "it must match the values [a, b]"),
        ({"type": "SELECT", "values": ["a", "b"]}, "c", "it must match the values [a, b]"),
        ({"type": "MULTISELECT", "values": ["a"]}, '["a", "z"]', "it must match the values [a]"),
        ({"type": "MULTISELECT", "values": ["a"]}, "a", 'expected a JSON array like ["a", "b"]'),
        ({"type": "ARRAY", "itemType": "INT"}, '[1, "x"]', "unable to parse array element as `INT` on `x`"),
        ({"type": "ARRAY", "itemType": "INT"}, '{"a": 1}', "expected a list"),
    ],
)
def test_bad_values_of_every_type_name_the_reason(declared, supplied, message):
    with pytest.raises(InvalidInputsError) as raised:
        resolve((spec(**declared),), {"x": supplied})
    (error,) = raised.value.errors
    assert error.path == "inputs.x"
    assert error.detail.startswith(message), error.detail


def test_a_yaml_input_cannot_expand_aliases_without_bound():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(97 + n)}: &{chr(97 + n)} [{', '.join(['*' + chr(96 + n)] * 10)}]\n" for n in range(1, 9)
    )
    with pytest.raises(InvalidInputsError) as raised:
        resolve((spec(type="YAML"),), {"x": bomb})
    assert "expands to more than" in raised.value.errors[0].detail


DEPENDENT = (
    InputSpec.model_validate({"id": "region", "type": "SELECT", "values": ["eu", "us"]}),
    InputSpec.model_validate(
        {
            "id": "bucket",
            "type": "STRING",
            "dependsOn": {"inputs": ["region"], "condition": "{{ inputs.region == 'eu' }}"},
        }
    ),
    InputSpec.model_validate({"id": "prefix", "type": "STRING", "dependsOn": {"inputs": ["bucket"]}}),
)


def test_a_dependent_input_is_enabled_when_its_condition_holds():
    supplied = {"region": "eu", "bucket": "b1", "prefix": "p"}
    assert resolve(DEPENDENT, supplied) == {"region": "eu", "bucket": "b1", "prefix": "p"}


def test_a_disabled_input_is_dropped_and_not_required_nor_are_its_dependents():
    assert resolve(DEPENDENT, {"region": "us", "bucket": "ignored"}) == {"region": "us"}


def test_dependencies_resolve_first_whatever_the_declaration_order():
    reordered = (DEPENDENT[2], DEPENDENT[1], DEPENDENT[0])
    assert resolve(reordered, {"region": "eu", "bucket": "b", "prefix": "p"}) == {
        "prefix": "p",
        "bucket": "b",
        "region": "eu",
    }
    with pytest.raises(InvalidInputsError) as raised:
        resolve(reordered, {"region": "eu"})
    assert [error.path for error in raised.value.errors] == ["inputs.prefix", "inputs.bucket"]
