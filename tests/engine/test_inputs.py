import json

import pydantic
import pytest

from flowhub.engine import yamlsource
from flowhub.engine.errors import InvalidInputsError
from flowhub.engine.inputs import InputSpec, OutputSpec, coerce, dependency_cycles, resolve


def spec(**fields) -> InputSpec:
    return InputSpec.model_validate({"id": "x", **fields})


def declared(yaml_text: str) -> InputSpec:
    """An input declared in YAML, so defaults keep the native types YAML gives them (dates, lists)."""
    return InputSpec.model_validate({"id": "x", **yamlsource.load(yaml_text).data})


def error_of(declaration: InputSpec, supplied) -> str:
    with pytest.raises(InvalidInputsError) as raised:
        resolve((declaration,), {"x": supplied})
    (error,) = raised.value.errors
    assert error.path == "inputs.x"
    return error.detail


GOOD = [
    # (declaration, supplied: form text or a JSON value, resolved value)
    ({"type": "STRING"}, "hello", "hello"),
    ({"type": "STRING"}, "", ""),
    ({"type": "STRING"}, 12, "12"),
    ({"type": "STRING", "validator": "[a-z]+"}, "abc", "abc"),
    ({"type": "INT"}, "42", 42),
    ({"type": "INT"}, "-7", -7),
    ({"type": "INT"}, "+7", 7),
    ({"type": "INT"}, 5, 5),
    ({"type": "INT"}, "2147483647", 2147483647),
    ({"type": "INT"}, "-2147483648", -2147483648),
    ({"type": "FLOAT"}, "2.5", 2.5),
    ({"type": "FLOAT"}, "1e3", 1000.0),
    ({"type": "FLOAT"}, 3, 3.0),
    ({"type": "FLOAT"}, 0.25, 0.25),
    ({"type": "BOOLEAN"}, "true", True),
    ({"type": "BOOLEAN"}, "TRUE", True),
    ({"type": "BOOLEAN"}, "false", False),
    ({"type": "BOOLEAN"}, "yes", False),  # Java's Boolean.valueOf, as Kestra
    ({"type": "BOOLEAN"}, True, True),
    ({"type": "BOOL"}, "True", True),
    ({"type": "BOOL"}, False, False),
    ({"type": "DATETIME"}, "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
    ({"type": "DATETIME"}, "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"),
    ({"type": "DATETIME"}, "2024-05-01T10:00Z", "2024-05-01T10:00:00Z"),
    ({"type": "DATETIME"}, "2024-05-01T10:00:00.5Z", "2024-05-01T10:00:00.500Z"),
    ({"type": "DATETIME"}, "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:00.123456Z"),
    ({"type": "DATETIME"}, "2024-05-01t10:00:00z", "2024-05-01T10:00:00Z"),
    ({"type": "DATE"}, "2024-02-29", "2024-02-29"),
    ({"type": "TIME"}, "13:45", "13:45:00"),
    ({"type": "TIME"}, "13:45:30", "13:45:30"),
    ({"type": "TIME"}, "13:45:30.25", "13:45:30.250"),
    ({"type": "TIME"}, "00:00:00.000001", "00:00:00.000001"),
    ({"type": "DURATION"}, "PT5M6S", "PT5M6S"),
    ({"type": "DURATION"}, "P1DT2H", "PT26H"),
    ({"type": "DURATION"}, "P2D", "PT48H"),
    ({"type": "DURATION"}, "PT90M", "PT1H30M"),
    ({"type": "DURATION"}, "PT0.25S", "PT0.25S"),
    ({"type": "DURATION"}, "PT1M0.5S", "PT1M0.5S"),
    ({"type": "DURATION"}, "PT0S", "PT0S"),
    ({"type": "DURATION"}, "pt5m", "PT5M"),
    ({"type": "FILE"}, "kestra:///acme/f/executions/e/inputs/x/a.csv", "kestra:///acme/f/executions/e/inputs/x/a.csv"),
    ({"type": "FILE"}, "nsfile:///data/a.csv", "nsfile:///data/a.csv"),
    ({"type": "FILE", "allowedFileExtensions": [".csv", "JSON"]}, "kestra:///a/B.Json", "kestra:///a/B.Json"),
    ({"type": "JSON"}, '{"a": [1, 2]}', {"a": [1, 2]}),
    ({"type": "JSON"}, "3", 3),
    ({"type": "JSON"}, [1, 2], [1, 2]),
    ({"type": "JSON"}, {"a": None}, {"a": None}),
    ({"type": "YAML"}, "a: [1, 2]\nb: x\n", {"a": [1, 2], "b": "x"}),
    ({"type": "YAML"}, "- 2024-01-01\n- 2024-05-01T10:00:00Z\n", ["2024-01-01", "2024-05-01T10:00:00Z"]),
    ({"type": "YAML"}, "just text", "just text"),
    ({"type": "YAML"}, {"already": "parsed"}, {"already": "parsed"}),
    ({"type": "URI"}, "https://example.com/a?b=c", "https://example.com/a?b=c"),
    ({"type": "URI"}, "http://localhost:8080", "http://localhost:8080"),
    ({"type": "URI"}, "s3://bucket/key", "s3://bucket/key"),
    ({"type": "EMAIL"}, "ada@example.com", "ada@example.com"),
    ({"type": "EMAIL"}, "o\u2019neil+tag@example.co.uk", "o\u2019neil+tag@example.co.uk"),
    ({"type": "SECRET"}, "s3cret", "s3cret"),
    ({"type": "SECRET", "validator": "[a-z0-9]{4,}"}, "s3cret", "s3cret"),
    ({"type": "ENUM", "values": ["a", "b"]}, "b", "b"),
    ({"type": "SELECT", "values": ["a", "b"]}, "a", "a"),
    ({"type": "SELECT", "values": [1, 2]}, 2, "2"),
    ({"type": "SELECT", "values": ["a"], "allowCustomValue": True}, "z", "z"),
    ({"type": "SELECT", "values": ["a", "b"], "isRadio": True, "autoSelectFirst": True}, "b", "b"),
    ({"type": "SELECT", "expression": "{{ kv('regions') }}"}, "anything", "anything"),
    ({"type": "MULTISELECT", "values": ["a", "b", "c"]}, '["a", "c"]', ["a", "c"]),
    ({"type": "MULTISELECT", "values": ["a", "b", "c"]}, ["c"], ["c"]),
    ({"type": "MULTISELECT", "values": ["a", "b"]}, "[]", []),
    ({"type": "MULTISELECT", "options": ["a", "b"]}, ["b"], ["b"]),
    ({"type": "MULTISELECT", "values": ["a"], "allowCustomValue": True}, '["a", "z"]', ["a", "z"]),
    ({"type": "MULTISELECT", "values": ["1", "2", "3"], "itemType": "INT"}, '["1", 3]', [1, 3]),
    ({"type": "MULTISELECT", "expression": "{{ kv('tags') }}"}, '["p", "q"]', ["p", "q"]),
    ({"type": "ARRAY", "itemType": "INT"}, "[1, 2, 3]", [1, 2, 3]),
    ({"type": "ARRAY", "itemType": "INT"}, ["4", 5], [4, 5]),
    ({"type": "ARRAY", "itemType": "STRING"}, '["a", 1]', ["a", "1"]),
    ({"type": "ARRAY", "itemType": "DATE"}, '["2024-01-01"]', ["2024-01-01"]),
    ({"type": "ARRAY", "itemType": "DURATION"}, ["P1D", "PT30S"], ["PT24H", "PT30S"]),
    ({"type": "ARRAY", "itemType": "BOOLEAN"}, '["true", false, "no"]', [True, False, False]),
    ({"type": "ARRAY", "itemType": "JSON"}, '[{"a": 1}, "[2]"]', [{"a": 1}, [2]]),
]


@pytest.mark.parametrize(("declaration", "supplied", "expected"), GOOD)
def test_every_kestra_type_is_read_from_text_and_from_json(declaration, supplied, expected):
    resolved = resolve((spec(**declaration),), {"x": supplied})
    assert resolved == {"x": expected}
    assert json.loads(json.dumps(resolved, allow_nan=False)) == resolved  # stored as JSON, unchanged


BAD = [
    # (declaration, supplied, the whole message)
    ({"type": "STRING"}, True, "expected a string, but received 'true'"),
    ({"type": "STRING", "validator": "[a-z]+"}, "ABC", "it must match the pattern '[a-z]+', but received 'ABC'"),
    ({"type": "STRING", "validator": "[a-z]+"}, "abc1", "it must match the pattern '[a-z]+', but received 'abc1'"),
    ({"type": "INT"}, "4.5", "expected an integer, but received '4.5'"),
    ({"type": "INT"}, "1e3", "expected an integer, but received '1e3'"),
    ({"type": "INT"}, "abc", "expected an integer, but received 'abc'"),
    ({"type": "INT"}, "2147483648", "integer out of range, but received '2147483648'"),
    ({"type": "INT"}, "9" * 5000, f"integer out of range, but received '{'9' * 97}...'"),
    ({"type": "INT"}, True, "expected an integer, but received 'true'"),
    ({"type": "INT"}, 4.0, "expected an integer, but received '4.0'"),
    ({"type": "FLOAT"}, "abc", "expected a number, but received 'abc'"),
    ({"type": "FLOAT"}, "nan", "expected a number, but received 'nan'"),
    ({"type": "FLOAT"}, "Infinity", "expected a number, but received 'Infinity'"),
    ({"type": "FLOAT"}, False, "expected a number, but received 'false'"),
    ({"type": "BOOLEAN"}, 1, "expected a boolean, but received '1'"),
    *[
        (
            {"type": "DATETIME"},
            text,
            f"expected an ISO-8601 date-time with a time zone, like 2024-05-01T10:00:00Z, but received '{text}'",
        )
        for text in ("2024-05-01T10:00:00", "2024-05-01", "20240501T100000Z", "yesterday")
    ],
    (
        {"type": "DATETIME"},
        "2024-13-01T10:00:00Z",
        "expected an ISO-8601 date-time with a time zone, like 2024-05-01T10:00:00Z (month must be in 1..12)"
        ", but received '2024-13-01T10:00:00Z'",
    ),
    ({"type": "DATE"}, "01/02/2024", "expected a date like 2024-05-01, but received '01/02/2024'"),
    ({"type": "DATE"}, "2024-5-1", "expected a date like 2024-05-01, but received '2024-5-1'"),
    (
        {"type": "DATE"},
        "2023-02-29",
        "expected a date like 2024-05-01 (day is out of range for month), but received '2023-02-29'",
    ),
    ({"type": "TIME"}, "1:45", "expected a time like 13:45 or 13:45:30, but received '1:45'"),
    ({"type": "TIME"}, 600, "expected a time like 13:45 or 13:45:30, but received '600'"),
    (
        {"type": "TIME"},
        "25:00",
        "expected a time like 13:45:30 (hour must be in 0..23), but received '25:00'",
    ),
    *[
        (
            {"type": "DURATION"},
            text,
            f"expected an ISO-8601 duration like PT5M or P1DT2H (no years, months or weeks), but received '{text}'",
        )
        for text in ("5 minutes", "P1Y", "P1M", "P2W", "PT", "P", "P1DT", "-PT5M", "PT1.5M", "P" + "9" * 30 + "D")
    ],
    ({"type": "DURATION"}, "P9999999999D", "duration out of range, but received 'P9999999999D'"),
    (
        {"type": "FILE"},
        "/etc/passwd",
        "expected an uploaded file, or a kestra:// or nsfile:// URI, but received '/etc/passwd'",
    ),
    (
        {"type": "FILE"},
        "file:///etc/passwd",
        "expected an uploaded file, or a kestra:// or nsfile:// URI, but received 'file:///etc/passwd'",
    ),
    (
        {"type": "FILE", "allowedFileExtensions": [".csv"]},
        "kestra:///a/b.exe",
        "the file extension must be one of [.csv], but received 'kestra:///a/b.exe'",
    ),
    (
        {"type": "FILE", "allowedFileExtensions": ["csv", ".tsv"]},
        "kestra:///a/csv",
        "the file extension must be one of [.csv, .tsv], but received 'kestra:///a/csv'",
    ),
    (
        {"type": "JSON"},
        "{oops",
        "expected JSON (Expecting property name enclosed in double quotes at line 1 column 2), but received '{oops'",
    ),
    ({"type": "JSON"}, "NaN", "expected JSON (NaN is not a JSON number), but received 'NaN'"),
    (
        {"type": "JSON"},
        "[1e999]",
        "expected finite numbers (JSON has no NaN or infinity), but received '[1e999]'",
    ),
    ({"type": "JSON"}, "[" * 100_000, f"expected JSON (nested too deeply), but received '{'[' * 97}...'"),
    (
        {"type": "YAML"},
        "a: [",
        "expected YAML (while parsing a flow node expected the node content, but found '<stream end>' at line 1)"
        ", but received 'a: ['",
    ),
    ({"type": "YAML"}, "a: 1\na: 2", "expected YAML (duplicate key 'a' at line 2), but received 'a: 1\na: 2'"),
    ({"type": "YAML"}, "!!binary aGk=", "a bytes value cannot be stored as JSON, but received '!!binary aGk='"),
    ({"type": "URI"}, "not a uri", "expected a URI like https://example.com/path, but received 'not a uri'"),
    ({"type": "URI"}, "https://", "expected a URI like https://example.com/path, but received 'https://'"),
    ({"type": "URI"}, "example.com", "expected a URI like https://example.com/path, but received 'example.com'"),
    ({"type": "EMAIL"}, "ada at example.com", "expected an email address, but received 'ada at example.com'"),
    ({"type": "EMAIL"}, "ada@exa_mple.com", "expected an email address, but received 'ada@exa_mple.com'"),
    ({"type": "ENUM", "values": ["a", "b"]}, "c", "it must match the values [a, b], but received 'c'"),
    ({"type": "SELECT", "values": ["a", "b"]}, "c", "it must match the values [a, b], but received 'c'"),
    ({"type": "SELECT", "values": ["a", "b"]}, ["a"], "expected a string, but received '[\"a\"]'"),
    (
        {"type": "MULTISELECT", "values": ["a"]},
        '["a", "z"]',
        'it must match the values [a], but received \'["a", "z"]\'',
    ),
    ({"type": "MULTISELECT", "options": ["a"]}, ["b"], "it must match the values [a], but received '[\"b\"]'"),
    (
        {"type": "MULTISELECT", "values": ["a"]},
        "a",
        'expected a JSON array like ["a", "b"] (Expecting value at line 1 column 1), but received \'a\'',
    ),
    ({"type": "MULTISELECT", "values": ["a"]}, '"a"', "expected a list, but received '\"a\"'"),
    (
        {"type": "MULTISELECT", "values": ["1", "2"], "itemType": "INT"},
        '["1", "x"]',
        'unable to parse array element as `INT` on `x`, but received \'["1", "x"]\'',
    ),
    (
        {"type": "MULTISELECT", "values": ["1", "2"], "itemType": "INT"},
        "[3]",
        "it must match the values [1, 2], but received '[3]'",
    ),
    (
        {"type": "ARRAY", "itemType": "INT"},
        '[1, "x"]',
        "unable to parse array element as `INT` on `x`, but received '[1, \"x\"]'",
    ),
    (
        {"type": "ARRAY", "itemType": "INT"},
        [1, [2]],
        "unable to parse array element as `INT` on `[2]`, but received '[1, [2]]'",
    ),
    (
        {"type": "ARRAY", "itemType": "DATETIME"},
        '["2024-05-01"]',
        "unable to parse array element as `DATETIME` on `2024-05-01`, but received '[\"2024-05-01\"]'",
    ),
    ({"type": "ARRAY", "itemType": "INT"}, '{"a": 1}', "expected a list, but received '{\"a\": 1}'"),
    ({"type": "ARRAY", "itemType": "INT"}, {"a": 1}, "expected a list, but received '{\"a\": 1}'"),
]


@pytest.mark.parametrize(("declaration", "supplied", "message"), BAD)
def test_bad_values_are_refused_with_the_reason_and_what_was_received(declaration, supplied, message):
    assert error_of(spec(**declaration), supplied) == message


def test_a_refused_secret_is_not_echoed_back():
    declaration = spec(type="SECRET", validator="[a-z]{8,}")
    assert error_of(declaration, "hunter2") == "it must match the pattern '[a-z]{8,}', but received '******'"
    assert error_of(spec(type="SECRET"), True) == "expected a string, but received '******'"


BOUNDS = [
    # (declaration, accepted at or within the bounds, refused, message)
    ({"type": "INT", "min": 1, "max": 10}, ["1", 10], "0", "it must be more than 1"),
    ({"type": "INT", "min": 1, "max": 10}, ["5"], "11", "it must be less than 10"),
    ({"type": "INT", "min": -5}, ["-5"], -6, "it must be more than -5"),
    ({"type": "FLOAT", "min": 0.5, "max": 2}, ["0.5", 2], "0.49", "it must be more than 0.5"),
    ({"type": "FLOAT", "min": 0.5, "max": 2}, [1], "2.01", "it must be less than 2"),
    ({"type": "DURATION", "min": "PT1M", "max": "PT1H"}, ["PT60S", "PT1H"], "PT59S", "it must be more than PT1M"),
    ({"type": "DURATION", "min": "PT1M", "max": "PT1H"}, ["PT30M"], "P1D", "it must be less than PT1H"),
    (
        {"type": "DATETIME", "after": "2024-01-01T00:00:00Z", "before": "2024-12-31T23:59:59Z"},
        ["2024-01-01T01:00:00+01:00", "2024-06-01T00:00:00Z"],
        "2023-12-31T23:59:59Z",
        "it must be after 2024-01-01T00:00:00Z",
    ),
    (
        {"type": "DATETIME", "after": "2024-01-01T00:00:00Z", "before": "2024-12-31T23:59:59Z"},
        ["2024-12-31T23:59:59Z"],
        "2025-01-01T01:00:00+01:00",
        "it must be before 2024-12-31T23:59:59Z",
    ),
    (
        {"type": "DATE", "after": "2024-01-01", "before": "2024-12-31"},
        ["2024-01-01"],
        "2023-12-31",
        "it must be after 2024-01-01",
    ),
    (
        {"type": "DATE", "after": "2024-01-01", "before": "2024-12-31"},
        ["2024-12-31"],
        "2025-01-01",
        "it must be before 2024-12-31",
    ),
    (
        {"type": "TIME", "after": "08:00", "before": "18:00"},
        ["08:00:00", "18:00"],
        "07:59:59.9",
        "it must be after 08:00",
    ),
    ({"type": "TIME", "after": "08:00", "before": "18:00"}, ["12:30"], "18:00:01", "it must be before 18:00"),
]


@pytest.mark.parametrize(("declaration", "accepted", "refused", "message"), BOUNDS)
def test_bounds_are_inclusive_and_compare_values_of_the_type(declaration, accepted, refused, message):
    for value in accepted:
        resolve((spec(**declaration),), {"x": value})
    assert error_of(spec(**declaration), refused).startswith(f"{message}, but received ")


DECLARATION_ERRORS = [
    # (declaration, message); the parser's tests check that each points at its property
    ({"type": "INT", "validator": "x"}, "property 'validator' does not apply to inputs of type INT"),
    ({"type": "STRING", "min": 1}, "property 'min' does not apply to inputs of type STRING"),
    ({"type": "DATE", "min": "2024-01-01"}, "property 'min' does not apply to inputs of type DATE"),
    ({"type": "INT", "after": "1"}, "property 'after' does not apply to inputs of type INT"),
    ({"type": "STRING", "values": ["a"]}, "property 'values' does not apply to inputs of type STRING"),
    (
        {"type": "SELECT", "values": ["a"], "options": ["a"]},
        "property 'options' does not apply to inputs of type SELECT",
    ),
    ({"type": "ENUM", "values": ["a"], "isRadio": True}, "property 'isRadio' does not apply to inputs of type ENUM"),
    (
        {"type": "MULTISELECT", "values": ["a"], "isRadio": True},
        "property 'isRadio' does not apply to inputs of type MULTISELECT",
    ),
    ({"type": "ENUM", "expression": "{{ x }}"}, "property 'expression' does not apply to inputs of type ENUM"),
    ({"type": "STRING", "itemType": "INT"}, "property 'itemType' does not apply to inputs of type STRING"),
    ({"type": "STRING", "extension": ".csv"}, "property 'extension' does not apply to inputs of type STRING"),
    ({"type": "JSON", "allowCustomValue": True}, "property 'allowCustomValue' does not apply to inputs of type JSON"),
    ({"type": "ENUM"}, "an input of type ENUM needs 'values'"),
    ({"type": "ENUM", "values": []}, "an input of type ENUM needs 'values'"),
    ({"type": "SELECT"}, "an input of type SELECT needs 'values' or 'expression'"),
    ({"type": "MULTISELECT"}, "an input of type MULTISELECT needs 'values' or 'expression'"),
    ({"type": "MULTISELECT", "values": ["a"], "options": ["b"]}, "use 'values' or its old name 'options', not both"),
    ({"type": "ARRAY"}, "an ARRAY input needs 'itemType'"),
    ({"type": "ARRAY", "itemType": "ARRAY"}, "'itemType' cannot be ARRAY"),
    ({"type": "ARRAY", "itemType": "SECRET"}, "'itemType' cannot be SECRET"),
    ({"type": "ARRAY", "itemType": "FILE"}, "'itemType' cannot be FILE"),
    ({"type": "ARRAY", "itemType": "MULTISELECT"}, "'itemType' cannot be MULTISELECT"),
    ({"type": "MULTISELECT", "values": ["a"], "itemType": "SELECT"}, "'itemType' cannot be SELECT"),
    (
        {"type": "STRING", "validator": "("},
        "validator is not a valid regular expression: missing ), unterminated subpattern at position 0",
    ),
    ({"type": "INT", "min": 1.5}, "'min' must be a 32-bit integer"),
    ({"type": "INT", "max": "ten"}, "'max' must be a 32-bit integer"),
    ({"type": "INT", "max": 2**31}, "'max' must be a 32-bit integer"),
    ({"type": "FLOAT", "min": "low"}, "'min' must be a number"),
    (
        {"type": "DURATION", "min": 5},
        "'min' must be a duration: expected an ISO-8601 duration like PT5M or P1DT2H (no years, months or weeks)",
    ),
    ({"type": "DATE", "after": "soon"}, "'after' must be a date: expected a date like 2024-05-01"),
    (
        {"type": "DATETIME", "before": "2024-01-01T00:00:00"},
        "'before' must be a date-time: expected an ISO-8601 date-time with a time zone, like 2024-05-01T10:00:00Z",
    ),
    ({"type": "TIME", "after": "noon"}, "'after' must be a time: expected a time like 13:45 or 13:45:30"),
    ({"type": "INT", "min": 10, "max": 1}, "'max' must not be less than 'min'"),
    ({"type": "DURATION", "min": "PT1H", "max": "PT59M"}, "'max' must not be less than 'min'"),
    ({"type": "DATE", "after": "2024-02-01", "before": "2024-01-31"}, "'before' must not be earlier than 'after'"),
    ({"type": "INT", "defaults": "abc"}, "expected an integer"),
    ({"type": "INT", "min": 5, "defaults": 2}, "it must be more than 5"),
    ({"type": "STRING", "validator": "[a-z]+", "defaults": "ABC"}, "it must match the pattern '[a-z]+'"),
    ({"type": "SELECT", "values": ["a", "b"], "defaults": "c"}, "it must match the values [a, b]"),
    ({"type": "SELECT", "values": ["a", "b"], "prefill": "c"}, "it must match the values [a, b]"),
    ({"type": "ARRAY", "itemType": "INT", "defaults": ["x"]}, "unable to parse array element as `INT` on `x`"),
    ({"type": "FILE", "defaults": "/tmp/a.csv"}, "expected an uploaded file, or a kestra:// or nsfile:// URI"),
    (
        {"type": "SELECT", "expression": "{{ oops"},
        "invalid expression at line 1: '}}' expected: the expression is not closed",
    ),
]


@pytest.mark.parametrize(("declaration", "message"), DECLARATION_ERRORS)
def test_declarations_are_checked_for_their_type(declaration, message):
    with pytest.raises(pydantic.ValidationError) as raised:
        spec(**declaration)
    (error,) = raised.value.errors()
    assert str(error["ctx"]["error"]) == message


def test_yaml_defaults_keep_their_native_types_and_are_read_like_supplied_values():
    cases = [
        ("type: DATE\ndefaults: 2024-05-01\n", "2024-05-01"),
        ("type: DATETIME\ndefaults: 2024-05-01T12:00:00+02:00\n", "2024-05-01T10:00:00Z"),
        ("type: DURATION\ndefaults: PT1H\n", "PT1H"),
        ("type: ARRAY\nitemType: INT\ndefaults: [1, '2']\n", [1, 2]),
        ("type: MULTISELECT\nvalues: [a, b]\ndefaults: [b]\n", ["b"]),
        ("type: JSON\ndefaults: {when: 2024-05-01, n: [1]}\n", {"when": "2024-05-01", "n": [1]}),
        ("type: YAML\ndefaults: {a: {b: true}}\n", {"a": {"b": True}}),
        ("type: BOOLEAN\ndefaults: true\n", True),
        ("type: FLOAT\ndefaults: 2\n", 2.0),
    ]
    for source, expected in cases:
        assert resolve((declared(source),), {}) == {"x": expected}, source


def test_unquoted_yaml_bounds_are_read_as_their_type():
    date_input = declared("type: DATE\nafter: 2024-01-01\n")
    assert error_of(date_input, "2023-12-31") == "it must be after 2024-01-01, but received '2023-12-31'"
    instant_input = declared("type: DATETIME\nbefore: 2024-01-01T00:00:00+01:00\n")
    assert resolve((instant_input,), {"x": "2023-12-31T23:00:00Z"}) == {"x": "2023-12-31T23:00:00Z"}
    assert (
        error_of(instant_input, "2024-01-01T00:00:00Z")
        == "it must be before 2023-12-31T23:00:00Z, but received '2024-01-01T00:00:00Z'"
    )


def test_a_datetime_default_needs_a_time_zone():
    with pytest.raises(pydantic.ValidationError) as raised:
        declared("type: DATETIME\ndefaults: 2024-05-01 10:00:00\n")
    assert "expected an ISO-8601 date-time with a time zone" in str(raised.value)


def test_missing_required_input_is_an_error_and_defaults_fill_in():
    assert [(e.path, e.detail) for e in _errors((spec(type="STRING"),), {})] == [("inputs.x", "missing required input")]
    assert resolve((spec(type="STRING", defaults="d"),), {}) == {"x": "d"}
    assert resolve((spec(type="INT", defaults=3),), {"x": ""}) == {"x": 3}
    assert resolve((spec(type="STRING", defaults="d"),), {"x": ""}) == {"x": ""}  # an empty string is a value
    assert resolve((spec(type="STRING", required=False),), {}) == {}
    assert resolve((spec(type="DATE", required=False),), {"x": ""}) == {}


def test_prefill_is_only_for_forms_and_never_fills_a_missing_value():
    declaration = spec(type="STRING", prefill="p")
    assert [e.detail for e in _errors((declaration,), {})] == ["missing required input"]
    assert resolve((spec(type="STRING", prefill="p", required=False),), {}) == {}


def test_unknown_inputs_are_ignored_and_dotted_ids_nest():
    specs = (InputSpec(id="db.host", type="STRING"), InputSpec(id="db.port", type="INT"))
    assert resolve(specs, {"db.host": "h", "db.port": "5432", "other": "x"}) == {"db": {"host": "h", "port": 5432}}


def test_all_bad_inputs_are_reported_together_in_declaration_order():
    specs = (InputSpec(id="a", type="INT"), InputSpec(id="b", type="STRING"), InputSpec(id="c", type="DATE"))
    assert [(e.path, e.detail) for e in _errors(specs, {"a": "x", "c": "never"})] == [
        ("inputs.a", "expected an integer, but received 'x'"),
        ("inputs.b", "missing required input"),
        ("inputs.c", "expected a date like 2024-05-01, but received 'never'"),
    ]


def test_a_yaml_input_cannot_expand_aliases_without_bound():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(97 + n)}: &{chr(97 + n)} [{', '.join(['*' + chr(96 + n)] * 10)}]\n" for n in range(1, 9)
    )
    assert error_of(spec(type="YAML"), bomb).startswith("expected YAML (document expands to more than 100000 values")


def test_outputs_are_read_as_their_type_without_input_rules():
    assert coerce(OutputSpec(id="o", type="INT", value=""), "7") == 7
    assert coerce(OutputSpec(id="o", type="DURATION", value=""), "P1D") == "PT24H"
    assert coerce(OutputSpec(id="o", type="ARRAY", value=""), '[1, "a", {"b": null}]') == [1, "a", {"b": None}]
    assert coerce(OutputSpec(id="o", type="MULTISELECT", value=""), ["a", 1]) == ["a", 1]
    assert coerce(OutputSpec(id="o", type="SELECT", value=""), "anything") == "anything"
    with pytest.raises(ValueError, match=r"^expected a date like 2024-05-01$"):
        coerce(OutputSpec(id="o", type="DATE", value=""), "tomorrow")


def _errors(specs, supplied):
    with pytest.raises(InvalidInputsError) as raised:
        resolve(specs, supplied)
    return raised.value.errors


DEPENDENT = (
    InputSpec.model_validate({"id": "region", "type": "SELECT", "values": ["eu", "us"], "required": False}),
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
    assert resolve(DEPENDENT, {"region": "us", "bucket": "ignored", "prefix": "ignored"}) == {"region": "us"}


def test_an_input_whose_dependency_has_no_value_is_disabled():
    assert resolve(DEPENDENT, {"bucket": "b", "prefix": "p"}) == {}


def test_an_input_whose_dependency_is_refused_is_disabled_rather_than_reported_twice():
    assert [(e.path, e.detail) for e in _errors(DEPENDENT, {"region": "mars", "bucket": "b"})] == [
        ("inputs.region", "it must match the values [eu, us], but received 'mars'"),
    ]


def test_dependencies_resolve_first_whatever_the_declaration_order():
    reordered = (DEPENDENT[2], DEPENDENT[1], DEPENDENT[0])
    assert resolve(reordered, {"region": "eu", "bucket": "b", "prefix": "p"}) == {
        "prefix": "p",
        "bucket": "b",
        "region": "eu",
    }
    assert [error.path for error in _errors(reordered, {"region": "eu"})] == ["inputs.bucket"]


def test_a_condition_sees_typed_values_and_a_failing_condition_is_an_error():
    size = InputSpec(id="size", type="INT")
    big = InputSpec.model_validate(
        {"id": "big", "type": "BOOLEAN", "dependsOn": {"inputs": ["size"], "condition": "{{ inputs.size > 10 }}"}}
    )
    assert resolve((size, big), {"size": "11", "big": "true"}) == {"size": 11, "big": True}
    assert resolve((size, big), {"size": "9", "big": "true"}) == {"size": 9}
    broken = InputSpec.model_validate({"id": "b", "type": "STRING", "dependsOn": {"condition": "{{ inputs.nope }}"}})
    assert [(e.path, e.detail) for e in _errors((broken,), {"b": "v"})] == [
        (
            "inputs.b",
            "dependsOn condition failed: unable to render '{{ inputs.nope }}': 'dict object' has no attribute 'nope'",
        )
    ]


def test_dependency_cycles_name_each_input_on_a_cycle_from_itself():
    def node(input_id, *depends_on):
        return InputSpec.model_validate({"id": input_id, "type": "STRING", "dependsOn": {"inputs": list(depends_on)}})

    specs = (node("a", "c"), node("b", "a"), node("c", "b"), node("d", "a"), node("e", "e"), node("f", "ghost"))
    assert dependency_cycles(specs) == {"a": ["a", "c", "b"], "b": ["b", "a", "c"], "c": ["c", "b", "a"], "e": ["e"]}
    assert dependency_cycles(DEPENDENT) == {}
