"""What a flow sees of a webhook call, and the key check."""

import pytest

from flowhub.engine.webhooks import StoredPart, body_value, key_matches, request_variables


@pytest.mark.parametrize(
    ("body", "content_type", "seen"),
    [
        (b'{"orderId": 42}', "application/json", {"orderId": 42}),
        (b"[1, 2]", "application/json", [1, 2]),
        (b'{"a": 1}', "", {"a": 1}),  # no content type: read as text
        (b'{"a": 1}', "text/plain", {"a": 1}),  # JSON whatever the type says, as Kestra
        (b"42", "application/json", "42"),  # only objects and arrays are parsed
        (b"hello", "text/plain", "hello"),
        (b"{not json", "application/json", "{not json"),
        ("héllo".encode("latin-1"), "text/plain; charset=latin-1", "héllo"),
        (b"\xff\xfe\x00", "text/plain", "//4A"),  # not UTF-8: base64
        (b"\x00\x01", "application/octet-stream", "AAE="),
        (b"plain", "application/octet-stream", "cGxhaW4="),  # binary by its type
        (b"<a/>", "application/xml", "<a/>"),
        (b'{"a": 1}', "application/vnd.api+json", {"a": 1}),
    ],
)
def test_the_body_is_json_text_or_base64(body, content_type, seen):
    assert body_value(body, content_type) == seen


def test_the_trigger_variables_hold_headers_and_parameters_as_lists_and_no_body_when_there_is_none():
    variables = request_variables(b"", "", {"user-agent": ["curl"]}, {"id": ["1", "2"]})
    assert variables == {"headers": {"user-agent": ["curl"]}, "parameters": {"id": ["1", "2"]}}
    assert request_variables(b"x", "text/plain", {}, {})["body"] == "x"


def test_a_multipart_call_gives_parts_and_form_fields_and_no_body():
    parts = [
        StoredPart("doc", "a.csv", "text/csv", 3, "kestra:///a/f/executions/e/webhook/0/a.csv"),
        StoredPart("doc", "b", "", 0, "kestra:///a/f/executions/e/webhook/1/b"),
    ]
    variables = request_variables(b"", "multipart/form-data; boundary=X", {}, {}, {"note": ["hi"]}, parts)
    assert variables == {
        "headers": {},
        "parameters": {},
        "parts": [
            {"name": "doc", "filename": "a.csv", "contentType": "text/csv", "size": 3, "uri": parts[0].uri},
            {"name": "doc", "filename": "b", "size": 0, "uri": parts[1].uri},  # no content type was sent
        ],
        "formFields": {"note": ["hi"]},
    }
    assert request_variables(b"", "multipart/form-data; boundary=X", {}, {}, {}, [])["parts"] == []


def test_an_url_encoded_call_gives_its_text_as_body_beside_its_form_fields():
    variables = request_variables(b"a=1&a=2", "application/x-www-form-urlencoded", {}, {}, {"a": ["1", "2"]})
    assert (variables["body"], variables["formFields"]) == ("a=1&a=2", {"a": ["1", "2"]})
    assert "parts" not in variables


def test_the_key_is_compared_trimmed_and_whole():
    assert key_matches(" 4wjtkzwVGBM9yKnjm3yv8r\n", "4wjtkzwVGBM9yKnjm3yv8r")
    assert not key_matches("4wjtkzwVGBM9yKnjm3yv8r", "4wjtkzwVGBM9yKnjm3yv8")
    assert not key_matches("4wjtkzwVGBM9yKnjm3yv8r", "4wjtkzwVGBM9yKnjm3yv8rX")
    assert not key_matches("clé", "cle")
