"""Kestra expressions (Pebble's syntax, Kestra's filters and functions) as flowhub renders them.

Expected values are Kestra's, from kestra-flow.md §5 and Pebble's and Kestra's documented behaviour.
"""

import datetime as dt
import re

import pytest

from flowhub.engine import templating
from flowhub.engine.errors import TemplateError
from flowhub.engine.templating import limits

CONTEXT = {
    "inputs": {
        "name": "ada",
        "n": 3,
        "flag": True,
        "none": None,
        "items": [3, 1, 2],
        "map": {"a": 1, "b": 2},
        "text": "  hi  ",
        "lines": "a\nb",
        "yamlText": "a: 1\nb: [x, y]",
    },
    "outputs": {"ret": {"value": "x", "nested": {"a": [1, 2]}}, "out": {"values": {"k": "v"}}},
    "execution": {"id": "abc", "startDate": "2024-05-01T10:00:00.500Z"},
}


def render(template, context=None):
    return templating.render(template, {**CONTEXT, **(context or {})})


def check(template, context, expected):
    assert render(template, context) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain text", "plain text"),
        ("{{ inputs.name }}", "ada"),
        ("{{ inputs.name | upper }}", "ADA"),
        ("{{ outputs.ret.value }}-{{ inputs.n }}", "x-3"),
        ("{{ outputs.ret.nested }}", '{"a":[1,2]}'),
        ("{{ inputs.flag }}", "true"),
        ("{{ inputs.none }}", ""),
        ("{% if inputs.n > 2 %}big{% endif %}", "big"),
        ("line\n", "line\n"),
    ],
)
def test_rendering_follows_kestras_conventions(template, expected):
    assert render(template) == expected


OUTPUT = [
    ("{{ {'a': 1, 'b': null} }}", {}, '{"a":1}'),
    ("{{ [1, null, 'x'] }}", {}, '[1,null,"x"]'),
    ("{{ {'k': 'é'} }}", {}, '{"k":"é"}'),
    ("{{ 0.5 }} {{ 3.0 }} {{ 2.5 * 4 }}", {}, "0.5 3.0 10.0"),
    ("{{ 10000000.0 }} {{ 0.0001 }}", {}, "1.0E7 1.0E-4"),
    ("{{ false }}", {}, "false"),
    ("{{ outputs.out.values.k }}", {}, "v"),
    ("{{ inputs.map['a'] }}", {}, "1"),
    ("{{ inputs.items[0] }}", {}, "3"),
    ("{{ d }}", {"d": dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)}, "2024-05-01T10:00:00Z"),
]


@pytest.mark.parametrize(("template", "context", "expected"), OUTPUT)
def test_values_are_written_as_kestra_writes_them(template, context, expected):
    check(template, context, expected)


OPERATORS = [
    # ?? : the right side when the left is undefined or null, even under an undefined parent
    ("{{ inputs.missing ?? 'd' }}", {}, "d"),
    ("{{ inputs.none ?? 'd' }}", {}, "d"),
    ("{{ inputs.name ?? 'd' }}", {}, "ada"),
    ("{{ trigger.date ?? execution.startDate }}", {}, "2024-05-01T10:00:00.500Z"),
    ("{{ trigger.date ?? execution.startDate }}", {"trigger": {"date": "t"}}, "t"),
    ("{{ a ?? b ?? 'x' }}", {}, "x"),
    ("{{ a ?? inputs.none ?? 'x' }}", {}, "x"),
    ("{{ outputs.missing.value | upper ?? 'd' }}", {}, "d"),
    ("{{ inputs.missing ?? 'd' | upper }}", {}, "D"),
    ("{{ 'a' ~ inputs.missing ?? 'b' }}", {}, "ab"),
    ("{{ inputs.name ?? undefined_function() }}", {}, "ada"),
    # ??? : only an undefined left side
    ("{{ inputs.none ??? 'd' }}", {}, ""),
    ("{{ trigger.date ??? 'd' }}", {}, "d"),
    # ternary
    ("{{ inputs.n > 2 ? 'big' : 'small' }}", {}, "big"),
    ("{{ inputs.flag ? 1 : 2 }}", {}, "1"),
    ("{{ inputs.n == 1 ? 'one' : inputs.n == 3 ? 'three' : 'other' }}", {}, "three"),
    ("{{ trigger is defined ? trigger.date : 'manual' }}", {}, "manual"),
    ("{{ (inputs.flag ? 'a' : 'b') | upper }}", {}, "A"),
    # contains and in
    ("{{ inputs.items contains 1 }}", {}, "true"),
    ("{{ inputs.items contains 5 }}", {}, "false"),
    ("{{ inputs.items contains [1, 2] }}", {}, "true"),
    ("{{ inputs.map contains 'a' }}", {}, "true"),
    ("{{ inputs.name contains 'd' }}", {}, "true"),
    ("{{ inputs.none contains 'a' }}", {}, "false"),
    ("{% if inputs.items contains 2 and inputs.n > 1 %}yes{% endif %}", {}, "yes"),
    ("{{ 2 in inputs.items }} {{ 5 not in inputs.items }}", {}, "true true"),
    # arithmetic: integers are Java longs
    ("{{ 5 / 2 }}", {}, "2"),
    ("{{ -7 / 2 }}", {}, "-3"),
    ("{{ 5.0 / 2 }}", {}, "2.5"),
    ("{{ 7 % 3 }} {{ -7 % 3 }}", {}, "1 -1"),
    ("{{ 2 + 3 * 4 }} {{ (2 + 3) * 4 }}", {}, "14 20"),
    ("{{ 1 + 'a' }} {{ 'a' + 1 }} {{ 'a' + null }}", {}, "1a a1 anull"),
    ("{{ 9223372036854775807 + 1 }}", {}, "-9223372036854775808"),
    ("{{ 1.5 + 1 }} {{ 10L + 1 }}", {}, "2.5 11"),
    ("{{ [1] + [2] }} {{ [1] + 2 }}", {}, "[1,2] [1,2]"),
    ("{{ -inputs.n }} {{ +inputs.n }}", {}, "-3 3"),
    # comparisons and logic
    ("{{ inputs.name equals 'ada' }} {{ inputs.n != 3 }} {{ inputs.n >= 3 }}", {}, "true false true"),
    ("{{ inputs.n > 1 and inputs.n < 5 or false }}", {}, "true"),
    ("{{ not inputs.flag }}", {}, "false"),
    ("{{ not false == false }}", {}, "false"),  # Pebble: `not` binds to `false` only
    ("{{ inputs.n + 1 is even }}", {}, "true"),  # Pebble: `is` binds looser than `+`
    # concatenation and interpolation
    ("{{ 'a' ~ 1 ~ true ~ null ~ 2.5 }}", {}, "a1true2.5"),
    ('{{ "Hello #{inputs.name | upper}!" }}', {}, "Hello ADA!"),
    ("{{ 'Hello #{inputs.name}' }}", {}, "Hello #{inputs.name}"),
    ('{{ "#{inputs.n + 1} items" }}', {}, "4 items"),
    # ranges include their end
    ("{{ 0..3 }}", {}, "[0,1,2,3]"),
    ("{% for i in 1..3 %}{{ i }}{% endfor %}", {}, "123"),
    # string literals are never rewritten
    ("{{ 'a ?? b' }}|{{ 'x ? y : z' }}|{{ 'p contains q' }}", {}, "a ?? b|x ? y : z|p contains q"),
    ("{{ '{{ not a tag }}' }}", {}, "{{ not a tag }}"),
    (r"{{ 'it\'s' }} {{ " + '"say \\"hi\\""' + " }}", {}, 'it\'s say "hi"'),
    (r"{{ 'a\nb' }}", {}, r"a\nb"),  # as in Pebble, only the quote can be escaped
]


@pytest.mark.parametrize(("template", "context", "expected"), OPERATORS)
def test_pebble_operators(template, context, expected):
    check(template, context, expected)


TAGS = [
    ("{% if inputs.n == 1 %}one{% elseif inputs.n == 3 %}three{% else %}other{% endif %}", {}, "three"),
    ("{% if false %}a{% elif true %}b{% endif %}", {}, "b"),
    ("{% for x in inputs.items %}{{ loop.index }}:{{ x }} {% endfor %}", {}, "0:3 1:1 2:2 "),
    (
        "{% for x in [1, 2, 3] %}{{ loop.revindex }}{{ loop.length }}{{ loop.first }}{{ loop.last }};{% endfor %}",
        {},
        "23truefalse;13falsefalse;03falsetrue;",
    ),
    (
        "{% for a in [1, 2] %}{% for b in [1, 2] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}",
        {},
        "010011",
    ),
    ("{% for e in inputs.map %}{{ e.key }}={{ e.value }};{% endfor %}", {}, "a=1;b=2;"),
    ("{% for e in inputs.map %}{{ e }} {% endfor %}", {}, "a=1 b=2 "),
    ("{% for k, v in inputs.map %}{{ k }}{{ v }}{% endfor %}", {}, "a1b2"),
    ("{% for x in [] %}x{% else %}none{% endfor %}", {}, "none"),
    ("{% for x in inputs.none %}x{% endfor %}", {}, ""),
    ("{% set total = inputs.n * 2 %}{{ total }}", {}, "6"),
    ("{% filter upper %}abc{% endfilter %}", {}, "ABC"),
    ("{% raw %}{{ x }}{% endraw %}", {}, "{{ x }}"),
    ("{% verbatim %}{{ x ?? y }}{% endverbatim %}", {}, "{{ x ?? y }}"),
    ("a{# {{ x }} #}b", {}, "ab"),
    ("a  {{- 'b' -}}  c", {}, "abc"),
    ("{% if true -%}\n  x\n{%- endif %}", {}, "x"),
    ("{{ inputs.name\n | upper }}\n{{ inputs.n }}", {}, "ADA\n3"),
]


@pytest.mark.parametrize(("template", "context", "expected"), TAGS)
def test_pebble_tags_and_loops(template, context, expected):
    check(template, context, expected)


TESTS = [
    ("{{ inputs.name is defined }}", {}, "true"),
    ("{{ inputs.missing is defined }}", {}, "false"),
    ("{{ trigger.date is defined }}", {}, "false"),
    ("{{ inputs.none is defined }}", {}, "false"),  # Pebble: null is not defined
    ("{{ inputs.missing is not defined }}", {}, "true"),
    ("{{ inputs.none is null }} {{ inputs.name is null }} {{ inputs.name is not null }}", {}, "true false true"),
    ("{{ '' is empty }} {{ '  ' is empty }} {{ [] is empty }} {{ {} is empty }}", {}, "true true true true"),
    ("{{ inputs.none is empty }} {{ inputs.name is empty }} {{ 0 is empty }}", {}, "true false false"),
    ("{{ 4 is even }} {{ 3 is even }} {{ 3 is odd }} {{ -3 is odd }}", {}, "true false true true"),
    ("{{ [1] is iterable }} {{ 'abc' is iterable }} {{ {'a': 1} is iterable }}", {}, "true false false"),
    ("{{ {'a': 1} is map }} {{ [1] is map }}", {}, "true false"),
    (
        "{{ '{\"a\": 1}' is json }} {{ 'nope' is json }} {{ {'a': 1} is json }} {{ 1 is json }}",
        {},
        "true false true false",
    ),
]


@pytest.mark.parametrize(("template", "context", "expected"), TESTS)
def test_pebble_tests(template, context, expected):
    check(template, context, expected)


TEXT_FILTERS = [
    (
        "{{ inputs.text | trim }}|{{ 'hELLO' | capitalize }}|{{ 'hello big world' | title }}",
        {},
        "hi|HELLO|Hello Big World",
    ),
    ("{{ inputs.none | upper }}{{ inputs.none | lower }}", {}, ""),
    ("{{ 'this is a long sentence' | abbreviate(7) }} {{ 'short' | abbreviate(10) }}", {}, "this... short"),
    ("{{ 'hello world' | replace({'world': 'there', 'hello': 'hi'}) }}", {}, "hi there"),
    ("{{ 'a-b-c' | replace('-', '+') }}", {}, "a+b+c"),
    ("{{ 'a1b22' | replace({'[0-9]+': '#'}, regexp=true) }}", {}, "a#b#"),
    (r"{{ '2024-05-01' | replace({'(\d+)-(\d+)-(\d+)': '$3/$2/$1'}, regexp=true) }}", {}, "01/05/2024"),
    ("{{ ['a-b', {'k': 'c-d'}] | replace({'-': '_'}) }}", {}, '["a_b",{"k":"c_d"}]'),
    ("{{ 'a,b,,c,,' | split(',') }}", {}, '["a","b","","c"]'),
    (r"{{ 'a.b.c' | split('\.') }}", {}, '["a","b","c"]'),
    ("{{ 'a,b,c' | split(',', 2) }}", {}, '["a","b,c"]'),
    ("{{ 'Hello World! Ça va?' | slugify }}", {}, "hello-world-ca-va"),
    ("{{ 'a.b.c' | substringBefore('.') }} {{ 'a.b.c' | substringAfter('.') }}", {}, "a b.c"),
    ("{{ 'a.b.c' | substringBeforeLast('.') }} {{ 'a.b.c' | substringAfterLast('.') }}", {}, "a.b c"),
    ("[{{ 'abc' | substringBefore('x') }}][{{ 'abc' | substringAfter('x') }}]", {}, "[abc][]"),
    ("{{ 'kestra' | startsWith('kes') }} {{ 'kestra' | endsWith('kes') }}", {}, "true false"),
    ("{{ \"it's\" | escapeChar('single') }}", {}, "it\\'s"),
    ("{{ 'say \"hi\"' | escapeChar('double') }}", {}, 'say \\"hi\\"'),
    ("{{ \"it's\" | escapeChar('shell') }}", {}, "it'\\''s"),
    ("{{ 'a b&c=d/é~*' | urlencode }}", {}, "a+b%26c%3Dd%2F%C3%A9%7E*"),
    ("{{ 'a+b%26c' | urldecode }}", {}, "a b&c"),
    ("{{ 'hello' | base64encode }} {{ 'aGVsbG8=' | base64decode }}", {}, "aGVsbG8= hello"),
    ("{{ 'hello' | md5 }}", {}, "5d41402abc4b2a76b9719d911017c592"),
    ("{{ 'hello' | sha1 }}", {}, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ("{{ 'hello' | sha256 }}", {}, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
    (
        "{{ 'hello' | sha512 }}",
        {},
        "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
        "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
    ),
    ("{{ inputs.lines | indent(2) }}", {}, "a\n  b"),
    ("{{ inputs.lines | nindent(2) }}", {}, "\n  a\n  b"),
    ("{{ inputs.lines | indent(2, '-') }}", {}, "a\n--b"),
    ("{{ 42 | string }} {{ 1.5 | string }} {{ '1.50' | string }} {{ '1e3' | string }}", {}, "42 1.5 1.50 1E+3"),
]


@pytest.mark.parametrize(("template", "context", "expected"), TEXT_FILTERS)
def test_text_filters(template, context, expected):
    check(template, context, expected)


COLLECTION_FILTERS = [
    ("{{ inputs.map | keys }} {{ inputs.items | keys }}", {}, '["a","b"] [0,1,2]'),
    ("{{ inputs.map | values }}", {}, "[1,2]"),
    ("{{ [[1, 2], [3], 4] | flatten }}", {}, "[1,2,3,4]"),
    ("{{ inputs.items | first }} {{ inputs.items | last }} {{ 'abc' | first }} {{ 'abc' | last }}", {}, "3 2 a c"),
    ("[{{ [] | first }}]", {}, "[]"),
    (
        "{{ inputs.items | join(', ') }}|{{ ['a', 'b'] | join }}|{{ [1, null, true] | join('-') }}",
        {},
        "3, 1, 2|ab|1-null-true",
    ),
    (
        "{{ inputs.items | sort }} {{ inputs.items | rsort }} {{ inputs.items | reverse }}",
        {},
        "[1,2,3] [3,2,1] [2,1,3]",
    ),
    ("{{ ['b', 'a'] | sort }}", {}, '["a","b"]'),
    ("{{ [1, 2, 3, 4] | slice(1, 3) }} {{ 'abcdef' | slice(2) }} {{ 'abcdef' | slice(0, 3) }}", {}, "[2,3] cdef abc"),
    ("{{ {'a': 1} | merge({'b': 2}) }} {{ {'a': 1} | merge({'a': 2}) }}", {}, '{"a":1,"b":2} {"a":2}'),
    ("{{ [1] | merge([2, 3]) }}", {}, "[1,2,3]"),
    ("{{ [1, 2, 3, 4, 5] | chunk(2) }}", {}, "[[1,2],[3,4],[5]]"),
    ("{{ [1, 2, 1, 3, 2] | distinct }} {{ [{'a': 1}, {'a': 1}] | distinct }}", {}, '[1,2,3] [{"a":1}]'),
    ("{{ inputs.items | length }} {{ inputs.none | length }} {{ inputs.map | length }}", {}, "3 0 2"),
    ("{{ inputs.missing | default('d') }} {{ outputs.missing.value | default('d') }}", {}, "d d"),
    ("{{ '' | default('d') }} {{ inputs.none | default('d') }} {{ [] | default('e') }}", {}, "d d e"),
    ("{{ inputs.name | default('d') }} {{ 0 | default('d') }}", {}, "ada 0"),
    ("{{ [1, 2, 3] | map('string') | join(',') }} {{ [1, 2, 3] | select('odd') | first }}", {}, "1,2,3 1"),
    ("{{ [1, 2, 3] | sum }} {{ 2.567 | round(2) }} {{ '12' | int + 1 }}", {}, "6 2.57 13"),
]


@pytest.mark.parametrize(("template", "context", "expected"), COLLECTION_FILTERS)
def test_collection_filters(template, context, expected):
    check(template, context, expected)


DATA_FILTERS = [
    ("{{ {'a': 1, 'b': [true, null]} | toJson }}", {}, '{"a":1,"b":[true,null]}'),
    ("{{ {'a': null} | toJson }} {{ {'a': null} | toJson(includeNulls=true) }}", {}, '{} {"a":null}'),
    ("{{ inputs.none | toJson }} {{ 'x' | json }} {{ 'é' | toJson }}", {}, 'null "x" "é"'),
    ("{{ {'a': {'b': 1}} | jq('.a.b') }} {{ {'a': {'b': 1}} | jq('.a.b') | first }}", {}, "[1] 1"),
    ("{{ [{'id': 1}, {'id': 2}] | jq('.[].id') }}", {}, "[1,2]"),
    ("{{ [{'id': 1}] | jq('.[0]') }} {{ [1, 2] | jq('.[-1]') }}", {}, '[{"id":1}] [2]'),
    ("{{ {'a': [1, 2, 3]} | jq('.a[]') }} {{ {'a': [1, 2, 3]} | jq('.a[1:]') }}", {}, "[1,2,3] [[2,3]]"),
    ("{{ '{\"a\": [1, 2]}' | jq('.a | length') }}", {}, "[2]"),
    ("{{ [{'x': 1}, {'x': 2}] | jq('.[] | select(.x > 1) | .x') }}", {}, "[2]"),
    ("{{ [{'x': 1}, {'x': 2}] | jq('map(.x)') }} {{ [1, 2] | jq('[.[] | . == 2]') }}", {}, "[[1,2]] [[false,true]]"),
    ("{{ {'a': 1} | jq('.b') }} {{ {'a': 1} | jq('.a, .b') }} {{ {'a': 1} | jq('.a.b?') }}", {}, "[null] [1,null] []"),
    ("{{ {'a b': 1, 'c': 2} | jq('.\"a b\"') }} {{ {'b': 2, 'a': 1} | jq('keys') }}", {}, '[1] [["a","b"]]'),
    ("{{ {'a': 1, 'b': [1, 2]} | yaml }}", {}, "a: 1\nb:\n  - 1\n  - 2\n"),
    ("{{ 'text' | yaml }}|{{ inputs.none | yaml }}", {}, "text\n|null"),
]


@pytest.mark.parametrize(("template", "context", "expected"), DATA_FILTERS)
def test_json_yaml_and_jq_filters(template, context, expected):
    check(template, context, expected)


NUMBER_FILTERS = [
    ("{{ '42' | number + 1 }} {{ '2.5' | number * 2 }} {{ '0x1F' | number }}", {}, "43 5.0 31"),
    ("{{ '42' | number('DOUBLE') }} {{ '12345678901' | number('LONG') }}", {}, "42.0 12345678901"),
    ("{{ '1.10' | number('BIGDECIMAL') }} {{ '7' | number('INT') / 2 }}", {}, "1.10 3"),
    ("{{ -3 | abs }} {{ -2.5 | abs }}", {}, "3 2.5"),
    ("{{ 1234.5 | numberFormat('#,##0.00') }} {{ 3.14159 | numberformat('#.##') }}", {}, "1,234.50 3.14"),
    ("{{ 0.5 | numberformat('0.00') }} {{ 0.5 | numberformat('#.##') }}", {}, "0.50 .5"),
    (
        "{{ 0.456 | numberformat('#%') }} {{ 1234567 | numberformat }} {{ -1.5 | numberformat('0') }}",
        {},
        "46% 1,234,567 -2",
    ),
    ("{{ 2.675 | numberformat('0.00') }} {{ 7 | numberformat(\"'#'000\") }}", {}, "2.67 #007"),
]


@pytest.mark.parametrize(("template", "context", "expected"), NUMBER_FILTERS)
def test_number_filters(template, context, expected):
    check(template, context, expected)


START = "{{ execution.startDate | "
DATE_FILTERS = [
    (START + "date }}", {}, "2024-05-01T10:00:00.500000Z"),
    (START + "date('yyyy-MM-dd') }}", {}, "2024-05-01"),
    (START + "date(\"yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX\") }}", {}, "2024-05-01T10:00:00.500000Z"),
    (START + "date('EEE, d MMMM yyyy') }}", {}, "Wed, 1 May 2024"),
    (START + "date('EEEE MMM dd', timeZone='Europe/Paris') }}", {}, "Wednesday May 01"),
    (START + "date('HH:mm XXX VV', timeZone='Europe/Paris') }}", {}, "12:00 +02:00 Europe/Paris"),
    (START + "date('HH:mm xx Z O', timeZone='-05:30') }}", {}, "04:30 -0530 -0530 GMT-5:30"),
    (START + "date('hh:mm a, yy', timeZone='America/New_York') }}", {}, "06:00 AM, 24"),
    (START + "date(\"'Q'Q yyyy, 'week' w, 'day' D, 'o''clock'\") }}", {}, "Q2 2024, week 18, day 122, o'clock"),
    (START + "date(format='yyyy', timeZone='UTC') }}", {}, "2024"),
    (START + "date('iso_sec') }} " + START + "date('sql') }}", {}, "2024-05-01T10:00:00Z 2024-05-01 10:00:00.500000"),
    (START + "date('sql_seq') }} " + START + "date('iso_date') }}", {}, "2024-05-01 10:00:00 2024-05-01Z"),
    (
        START + "date('iso_local_date') }} " + START + "date('iso_instant') }}",
        {},
        "2024-05-01 2024-05-01T10:00:00.500Z",
    ),
    (START + "date('iso_date_time') }}", {}, "2024-05-01T10:00:00.5Z[UTC]"),
    (
        START + "date('iso_local_date_time') }} " + START + "date('iso_time') }}",
        {},
        "2024-05-01T10:00:00.5 10:00:00.5Z",
    ),
    (START + "date('iso_week_date') }} " + START + "date('iso_ordinal_date') }}", {}, "2024-W18-3Z 2024-122Z"),
    (
        START + "date('iso_zoned_date_time', timeZone='Europe/Paris') }}",
        {},
        "2024-05-01T12:00:00.5+02:00[Europe/Paris]",
    ),
    (START + "date('rfc_1123_date_time') }}", {}, "Wed, 1 May 2024 10:00:00 GMT"),
    ("{{ d | date('yyyy-MM-dd HH:mm') }}", {"d": dt.date(2024, 5, 1)}, "2024-05-01 12:00"),
    ("{{ d | date }}", {"d": dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)}, "2024-05-01T10:00:00.000000Z"),
    ("{{ 1714557600 | date('yyyy-MM-dd HH:mm:ss') }}", {}, "2024-05-01 10:00:00"),
    ("{{ '2024-05-01' | date('yyyy-MM-dd HH:mm') }}", {}, "2024-05-01 00:00"),
    ("{{ '2024-05-01T10:00:00' | date('HH:mm', timeZone='Europe/Paris') }}", {}, "10:00"),
    ("{{ '2024-05-01T10:00:00+02:00' | date('HH:mm') }}", {}, "08:00"),
    ("{{ '01/05/2024 10:30' | date('yyyy-MM-dd HH:mm', existingFormat='dd/MM/yyyy HH:mm') }}", {}, "2024-05-01 10:30"),
    (
        "{{ '1 May 2024 3:05 PM' | date('yyyy-MM-dd HH:mm', existingFormat='d MMM yyyy h:mm a') }}",
        {},
        "2024-05-01 15:05",
    ),
    ("{{ '20240501' | date('iso_local_date', existingFormat='yyyyMMdd') }}", {}, "2024-05-01"),
    ("{{ '2024-05-01 10:00:00' | date('iso', existingFormat='sql_seq') }}", {}, "2024-05-01T10:00:00.000000Z"),
    ("{{ '2024-09-24T13:35:32.983335847Z' | date('ss.SSSSSSSSS') }}", {}, "32.983335847"),
    (START + "dateAdd(1, 'DAYS') }}", {}, "2024-05-02T10:00:00.500000Z"),
    (START + "dateAdd(-2, 'HOURS', 'HH:mm') }} " + START + "dateAdd(90, 'MINUTES', 'HH:mm') }}", {}, "08:00 11:30"),
    ("{{ '2024-01-31' | dateAdd(1, 'MONTHS', 'yyyy-MM-dd') }}", {}, "2024-02-29"),
    (
        START + "dateAdd(1, 'WEEKS', 'yyyy-MM-dd') }} " + START + "dateAdd(1, 'YEARS', format='yyyy') }}",
        {},
        "2024-05-08 2025",
    ),
    (START + "dateAdd(500, 'MILLIS', 'HH:mm:ss.SSS') }}", {}, "10:00:01.000"),
    (START + "timestamp }} " + START + "timestampMilli }}", {}, "1714557600 1714557600500"),
    (START + "timestampMicro }} " + START + "timestampNano }}", {}, "1714557600500000 1714557600500000000"),
    ("{{ '2024-09-24T13:35:32.983335847Z' | timestampNano }}", {}, "1727184932983335847"),
    ("{{ '2024-05-01' | timestamp(timeZone='Europe/Paris') }}", {}, "1714514400"),
]


@pytest.mark.parametrize(("template", "context", "expected"), DATE_FILTERS)
def test_date_filters(template, context, expected):
    check(template, context, expected)


FUNCTIONS = [
    ("{{ fromJson('{\"a\": [1, 2]}').a[1] }} {{ json('{\"a\": 1}').a }}", {}, "2 1"),
    ("[{{ fromJson(inputs.none) }}]", {}, "[]"),
    ("{{ yaml(inputs.yamlText).b[1] }} {{ yaml(inputs.yamlText).a + 1 }}", {}, "y 2"),
    ("{{ render(vars.greeting) }}", {"vars": {"greeting": "Hello {{ inputs.name }}"}}, "Hello ada"),
    ("{{ vars.a }}", {"vars": {"a": "{{ vars.b }}"}}, "{{ vars.b }}"),
    ("{{ render(vars.a) }}", {"vars": {"a": "{{ vars.b }}", "b": "{{ inputs.name }}"}}, "ada"),
    ("{{ renderOnce(vars.a) }}", {"vars": {"a": "{{ vars.b }}", "b": "{{ inputs.name }}"}}, "{{ inputs.name }}"),
    ("{{ render(vars.a, recursive=false) }}", {"vars": {"a": "{{ vars.b }}", "b": "{{ c }}"}}, "{{ c }}"),
    ("{% set x = 7 %}{{ render('{{ x }}') }}", {}, "7"),
    ("{{ range(1, 3) }} {{ range(0, 10, 5) }} {{ range(3, 1, -1) }}", {}, "[1,2,3] [0,5,10] [3,2,1]"),
    ("{{ range('a', 'c') }} {{ range(3, 1) }}", {}, '["a","b","c"] []'),
    ("{{ max(1, 5, 3) }} {{ min(1, 5, 3) }} {{ max(1, 2.5) }}", {}, "5 1 2.5"),
    ("{{ randomInt(1, 2) }}", {}, "1"),
    ("{{ printContext() }}", {}, None),  # compared below: the whole context, as JSON
]


@pytest.mark.parametrize(("template", "context", "expected"), FUNCTIONS)
def test_functions(template, context, expected):
    if expected is None:
        assert templating.render(template, {"inputs": {"a": 1}, "kv": len}) == '{"inputs":{"a":1}}'
    else:
        check(template, context, expected)


@pytest.mark.parametrize(
    ("template", "pattern"),
    [
        ("{{ now() }}", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z"),
        ("{{ now('yyyy-MM-dd', timeZone='Asia/Tokyo') }}", r"\d{4}-\d{2}-\d{2}"),
        ("{{ uuid() }}", r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        ("{{ id() }}", r"[0-9A-Za-z]{22}"),
        ("{{ randomInt(0, 10) }}", r"\d"),
    ],
)
def test_functions_with_changing_results(template, pattern):
    assert re.fullmatch(pattern, render(template))


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'abc' | keys }}", r"'keys' filter: expects a list, not a string"),
        ("{{ 'abc' | flatten }}", r"'flatten' filter: expects a list"),
        ("{{ [1] | chunk(0) }}", r"'chunk' filter: the size must be an integer, 1 or more"),
        ("{{ 'abc' | abs }}", r"'abs' filter: expects a number, not a string"),
        ("{{ 'abc' | number }}", r"'number' filter: 'abc' is not a number"),
        ("{{ '1.5' | number('INT') }}", r"'number' filter: '1.5' is not an integer"),
        ("{{ '1' | number('SHORT') }}", r"'number' filter: the type must be one of"),
        ("{{ 'x' | numberformat('0.0') }}", r"'numberformat' filter: expects a number"),
        ("{{ 'x' | escapeChar('triple') }}", r"'escapeChar' filter: the type must be"),
        ("{{ 'x' | replace(1) }}", r"'replace' filter: expects a map of replacements"),
        ("{{ 'abc' | slice(2, 1) }}", r"'slice' filter: toIndex must be greater than fromIndex"),
        ("{{ 'abc' | slice(0, 10) }}", r"'slice' filter: toIndex must be at most the length, 3"),
        ("{{ 'abc' | abbreviate(-1) }}", r"'abbreviate' filter: the length must be 0 or more"),
        ("{{ 'x' | upper(1) }}", r"'upper' filter: too many positional arguments"),
        ("{{ 'x' | date(nope='y') }}", r"'date' filter: got an unexpected keyword argument 'nope'"),
        ("{{ 'x' | indent }}", r"'indent' filter: missing a required argument: 'amount'"),
        ("{{ 'a' | split('(') }}", r"'split' filter"),
        ("{{ 'not json' | jq('.a') }}", r"'jq' filter"),
        ("{{ {'a': 1} | jq('env') }}", r"'jq' filter: 'env' is not supported"),
        ("{{ 'x' | date('yyyy') }}", r"'date' filter: 'x' is not an ISO-8601 date"),
        ("{{ execution.startDate | date('yyyy', timeZone='Mars/Olympus') }}", r"'date' filter: unknown time zone"),
        ("{{ execution.startDate | date('yyyy', locale='fr') }}", r"'date' filter: only English is supported"),
        ("{{ execution.startDate | date('medium') }}", r"'date' filter: the localized format 'medium'"),
        ("{{ execution.startDate | date('dd ddd') }}", r"'date' filter: wrong number of pattern letters: ddd"),
        ("{{ execution.startDate | date('yyyy-bb') }}", r"'date' filter: unknown pattern letter 'b'"),
        ("{{ execution.startDate | dateAdd(1, 'FORTNIGHTS') }}", r"'dateAdd' filter: unknown unit 'FORTNIGHTS'"),
        ("{{ execution.startDate | dateAdd('1', 'DAYS') }}", r"'dateAdd' filter: the amount must be an integer"),
        ("{{ '2024' | date('yyyy', existingFormat='yyyy') }}", r"'date' filter: '2024' does not hold a full date"),
        ("{{ 1.5 | timestamp }}", r"'timestamp' filter: expects a date, not a number"),
        ("{{ fromJson('nope') }}", r"'fromJson' function"),
        ("{{ randomInt(5, 1) }}", r"'randomInt' function: upper is less than lower"),
        ("{{ range(0, 10, 0) }}", r"'range' function: the step of a range must be a number other than 0"),
        ("{{ render(42) }}", r"'render' function: expects a text, not an integer"),
        ("{{ render('{{ nope }}') }}", r"'nope' is undefined"),
        ("{{ render('{{ x | nope }}') }}", r"'render' function: invalid expression '\{\{ x \| nope \}\}' at line 1"),
        ("{{ 'a' is even }}", r"'even' test: an integer is expected, not a string"),
        ("{{ 'a' * 2 }}", r"invalid operands for '\*': a string and an integer"),
        ("{{ {'a': 1} - 1 }}", r"invalid operands for '-': a map and an integer"),
        ("{{ 1 / 0 }}", r"division by zero"),
        ("{{ 5 contains 1 }}", r"'contains' needs a list, a map or a string on its left, not an integer"),
        ("{% for c in 'abc' %}{% endfor %}", r"a for loop needs a list or a map, not a string"),
        ("{{ inputs.missing is null }}", r"has no attribute 'missing'"),
        ("{{ inputs.name.upper }}", r"a function cannot be written as text"),
    ],
)
def test_wrong_arguments_fail_with_an_error_that_names_the_culprit(template, message):
    with pytest.raises(TemplateError, match=message):
        render(template)


@pytest.mark.parametrize(
    "template",
    ["{{ outputs.missing.value }}", "{{ nothing }}", "{{ inputs.name.nope }}", "{{ inputs.missing | upper }}"],
)
def test_undefined_variables_are_errors_not_empty_strings(template):
    with pytest.raises(TemplateError, match="unable to render"):
        render(template)


@pytest.mark.parametrize(
    "template",
    [
        "{{ inputs.name ?? 'x' }}",
        "{{ a ??? b }}",
        "{{ a ? b : c }}",
        "{% if a %}{% elseif b %}{% else %}{% endif %}",
        "{{ a contains b }}",
        "{{ a is defined }}{{ a is not null }}{{ a is empty }}{{ a is even }}{{ a is odd }}",
        "{{ a is iterable }}{{ a is map }}{{ a is json }}",
        "{{ a | toJson | json | jq('.a') | keys | values | flatten | yaml | indent(2) | nindent(2) }}",
        "{{ a | first | last | join(',') | split(',') | sort | rsort | reverse | slice(1) | merge(b) }}",
        "{{ a | chunk(2) | distinct | abbreviate(3) | default('x') | replace({'a': 'b'}) | slugify }}",
        "{{ a | substringBefore('x') | substringAfter('x') | substringBeforeLast('x') | substringAfterLast('x') }}",
        "{{ a | startsWith('x') }}{{ a | endsWith('x') | escapeChar('shell') | urlencode | urldecode }}",
        "{{ a | base64encode | base64decode | md5 | sha1 | sha256 | sha512 | string | number('INT') | abs }}",
        "{{ a | numberFormat('#') | date('yyyy', timeZone='UTC') | dateAdd(1, 'DAYS') | timestamp }}",
        "{{ a | timestampMilli }}{{ a | timestampMicro }}{{ a | timestampNano }}",
        "{{ now() ~ fromJson(a) ~ json(a) ~ yaml(a) ~ render(a) ~ renderOnce(a) ~ uuid() ~ id() }}",
        "{{ randomInt(1, 2) ~ range(1, 2) ~ max(1, 2) ~ min(1, 2) ~ printContext() ~ 1..2 }}",
        "{% for e in m %}{{ e.key }}{{ loop.index }}{% endfor %}{% set x = 1 %}{% filter upper %}x{% endfilter %}",
        '{{ "a #{b} c" }}{% raw %}{{ }}{% endraw %}{% verbatim %}{{{% endverbatim %}{# {{ #}',
    ],
)
def test_kestra_syntax_passes_the_save_time_check(template):
    assert templating.check_syntax(template) is None


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ inputs.name ", r"line 1: '}}' expected: the expression is not closed"),
        ("first\nsecond {{ a ?? }}", r"line 2: the expression ends too early"),
        ("{{ x | nope }}", r"line 1: unknown filter 'nope'"),
        ("a\n\n{{ x\n | upper\n | nope }}", r"line 5: unknown filter 'nope'"),
        ("{% if x %}\n{{ x is nope }}{% endif %}", r"line 2: unknown test 'nope'"),
        ("{% filter nope %}{% endfilter %}", r"line 1: unknown filter 'nope'"),
        ("{% nope %}", r"line 1: unknown tag 'nope'"),
        ("{% if x %}", r"line 1: Unexpected end of template"),
        ("{{ 'abc }}", r"line 1: the string is not closed"),
        ("{{ (1 }}", r"line 1: '\(' is not closed before '\}'"),
        ("{{ 1 ) }}", r"line 1: unexpected '\)'"),
        ("{{ a b }}", r"line 1: unexpected 'b'"),
        ("{{ }}", r"line 1: an expression is expected"),
        ("{{ f(a=1, 2) }}", r"line 1: a positional argument cannot follow a named one"),
        ("{# never closed", r"line 1: the comment is not closed"),
        ("\n{% raw %}never closed", r"line 2: the 'raw' block is not closed by 'endraw'"),
        ('{{ "#{ }" }}', r"line 1: empty interpolation"),
        ("{{ a.__class__ }}", r"line 1: names starting with '__' are reserved"),
        ("{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}", r"nested too deeply"),
    ],
)
def test_syntax_errors_are_reported_with_their_line(template, message):
    assert re.search(message, templating.check_syntax(template) or "")
    with pytest.raises(TemplateError, match="invalid expression"):
        templating.render(template, CONTEXT)


SANDBOX_ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ cycler }}{{ joiner }}{{ namespace }}{{ dict }}",
    "{{ range.__globals__ }}",
    "{{ range['__globals__'] }}",
    "{{ now['__code__'] }}",
    "{{ render.__globals__ }}",
    "{{ render['__globals__']['environment'] }}",
    "{{ toJson.__globals__ }}",
    "{{ toJson }}",
    "{{ self.__init__ }}",
    "{{ self }}",
    "{{ self._TemplateReference__context }}",
    "{{ inputs.name.__class__ }}",
    "{{ inputs.name['__class__'] }}",
    "{{ inputs['__class__'] }}",
    "{{ '{0.__class__}'.format(inputs.name) }}",
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '{0[__class__]}'.format(inputs) }}",
    "{{ inputs.name.format_map(inputs) }}",
    "{{ inputs.name.upper }}",
    "{{ loop }}",
    "{% for x in [1] %}{{ loop }}{% endfor %}",
    "{{ inputs.items | map('__class__') }}",
    "{{ inputs | attr('__class__') }}",
]


@pytest.mark.parametrize("template", SANDBOX_ESCAPES)
def test_templates_cannot_reach_python_internals(template):
    context = {**CONTEXT, "render": templating.render}
    try:
        text = templating.render(template, context)
    except TemplateError as error:
        text = str(error)
    assert not re.search(r"<class|<function|<module| at 0x|__builtins__|jinja2\.|flowhub\.", text)


@pytest.mark.parametrize(
    "template",
    [
        "{{ range(0, 100000000) }}",
        "{{ 0..100000000 }}",
        "{{ 'x' * 100000000 }}",
        "{{ [1] * 100000000 }}",
        "{{ range(1, 200000) | join('xxxxxxxxxx') }}",
        "{{ inputs.lines | indent(1000000000) }}",
        "{{ 'ab' | replace({'a': inputs.big}) | replace({'b': inputs.big}) }}",
        "{{ 'abcd' | replace({'[a-d]': inputs.big}, regexp=true) }}",
        "{{ inputs.big ~ inputs.big ~ inputs.big }}",
        "{{ inputs.big + inputs.big + inputs.big }}",
        "{{ [inputs.big, inputs.big] | toJson }}",
        "{{ inputs.many | yaml }}",
        "{% for i in range(1, 500000) %}xxxxx{% endfor %}",
        "{{ range(1, 999999) | merge(range(1, 999999)) }}",
    ],
)
def test_huge_values_fail_fast_instead_of_eating_memory(template):
    big = {
        "inputs": {
            **CONTEXT["inputs"],
            "big": "x" * (limits.MAX_OUTPUT_CHARS // 2 + 1),
            "many": ["x" * 20] * (limits.MAX_OUTPUT_CHARS // 20),
        }
    }
    with pytest.raises(TemplateError, match=r"exceeds|invalid operands"):
        render(template, big)


def test_a_slow_template_is_stopped_at_the_time_limit(monkeypatch):
    monkeypatch.setattr(limits, "RENDER_SECONDS", 0.2)
    with pytest.raises(TemplateError, match="takes longer than"):
        render("{% for i in range(1, 999999) %}{% for j in range(1, 999999) %}{% endfor %}{% endfor %}")


def test_a_pathological_regex_is_stopped(monkeypatch):
    monkeypatch.setattr(limits, "REGEX_SECONDS", 0.2)
    with pytest.raises(TemplateError, match="'replace' filter: regex timed out"):
        render("{{ inputs.slow | replace({'(a|aa)+$': 'x'}, regexp=true) }}", {"inputs": {"slow": "a" * 40 + "!"}})


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"again": "{{ render(vars.again) }}"}, "nested more than 10 levels deep"),
        ({"a": "{{ vars.b }}x", "b": "{{ vars.a }}"}, "still changes after 100 passes"),
    ],
)
def test_render_cannot_recurse_forever(variables, message):
    first = next(iter(variables))
    with pytest.raises(TemplateError, match=message):
        render(f"{{{{ render(vars.{first}) }}}}", {"vars": variables})


def test_render_value_keeps_the_shape_of_lists_and_maps():
    value = {"a": ["{{ inputs.name }}", 1], "b": {"c": "{{ inputs.n }}"}}
    assert templating.render_value(value, CONTEXT) == {"a": ["ada", 1], "b": {"c": "3"}}


@pytest.mark.parametrize(
    "template",
    ["{{ vars.items.append(4) }}", "{{ vars.update({'x': 1}) }}", "{{ vars.items.pop() }}", "{{ vars.clear() }}"],
)
def test_templates_cannot_change_the_values_they_are_given(template):
    shared = {"items": [1, 2, 3]}
    with pytest.raises(TemplateError):
        templating.render(template, {"vars": shared})
    assert shared == {"items": [1, 2, 3]}


def test_an_expression_rendered_uncached_is_not_kept():
    lookups = templating._ENVIRONMENT.compiled.cache_info
    before = lookups()

    assert templating.render("{{ inputs.name }} once, uncached", CONTEXT, cache=False) == "ada once, uncached"
    assert lookups() == before  # neither looked up nor added
    with pytest.raises(TemplateError, match="is undefined"):
        templating.render("{{ nope }} once, uncached", CONTEXT, cache=False)
