"""Every bad flow of the flow-definition issue: a clear 4xx whose message names the field and line; nothing stored."""

import pytest

from namespaces.models import Flow, FlowRevision, Namespace
from tests.engine.flows import LOG_BODY as LOG
from tests.engine.flows import billion_laughs, five_megabytes

from .helpers import YAML, assert_problem

# (name, source, status, path, words the detail must contain, line)
BAD_FLOWS = [
    ("empty body", "", 422, "$", "a flow must be a YAML mapping, got empty", None),
    ("a list", "- id: x\n- namespace: y\n", 422, "$", "a flow must be a YAML mapping, got list", 1),
    (
        "duplicate task id deep in the tree",
        "id: f\nnamespace: acme\ntasks:\n  - id: t\n" + LOG + "  - id: g\n    type: io.kestra.plugin.core.flow.If\n"
        "    condition: 'true'\n    then:\n      - id: t\n        type: io.kestra.plugin.core.log.Log\n"
        "        message: again\n",
        422,
        "tasks[1].then[0].id",
        "duplicate task id 't', first used at tasks[0]",
        11,
    ),
    (
        "task id with a dot",
        "id: f\nnamespace: acme\ntasks:\n  - id: bad.task\n" + LOG,
        422,
        "tasks[0].id",
        "pattern",
        4,
    ),
    (
        "flow id breaking the rules",
        "id: -f\nnamespace: acme\ntasks:\n  - id: t\n" + LOG,
        422,
        "id",
        "must be 1 to 100",
        1,
    ),
    ("flow id too long", f"id: {'f' * 101}\nnamespace: acme\ntasks:\n  - id: t\n" + LOG, 422, "id", "1 to 100", 1),
    ("namespace with ..", "id: f\nnamespace: acme..sales\ntasks:\n  - id: t\n" + LOG, 422, "namespace", "'..'", 2),
    ("namespace ending in .", "id: f\nnamespace: acme.\ntasks:\n  - id: t\n" + LOG, 422, "namespace", "trailing", 2),
    (
        "unknown input type",
        "id: f\nnamespace: acme\ninputs:\n  - id: x\n    type: COLOUR\ntasks:\n  - id: t\n" + LOG,
        422,
        "inputs[0].type",
        "'STRING'",
        5,
    ),
    (
        "default failing its own validator",
        "id: f\nnamespace: acme\ninputs:\n  - id: x\n    type: INT\n    min: 10\n    defaults: 3\n"
        "tasks:\n  - id: t\n" + LOG,
        422,
        "inputs[0].defaults",
        "10",
        7,
    ),
    (
        "Jinja syntax error",
        "id: f\nnamespace: acme\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: '{{ inputs.x | }}'\n",
        422,
        "tasks[0].message",
        "invalid expression",
        6,
    ),
    (
        "dependsOn cycle",
        "id: f\nnamespace: acme\ninputs:\n  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [b]\n"
        "  - id: b\n    type: STRING\n    dependsOn:\n      inputs: [a]\ntasks:\n  - id: t\n" + LOG,
        422,
        "inputs[0].dependsOn",
        "Cycle dependency detected for input with id 'a': [a, b]",
        7,
    ),
    ("billion laughs", billion_laughs(), 422, "a6", "expands to more than 100000 values", 9),
]


@pytest.mark.parametrize(
    ("source", "status", "path", "words", "line"),
    [case[1:] for case in BAD_FLOWS],
    ids=[case[0] for case in BAD_FLOWS],
)
def test_a_bad_flow_is_refused_naming_the_field_and_line_and_nothing_is_stored(api, source, status, path, words, line):
    body = assert_problem(api.post("/api/v1/flows", source, content_type=YAML), status, "invalid-entity")
    located = [error for error in body["errors"] if error["path"] == path or path == "$"]
    assert located, body["errors"]
    assert words in located[0]["detail"]
    if line is not None:
        assert located[0]["line"] == line
    assert words in body["detail"]
    assert not (Flow.objects.exists() or FlowRevision.objects.exists() or Namespace.objects.exists())


def test_a_5_mb_flow_is_refused_as_too_large_before_it_is_parsed(api):
    source = five_megabytes()
    assert len(source) > 5_000_000
    body = assert_problem(api.post("/api/v1/flows", source, content_type=YAML), 413, "payload-too-large")
    assert "1048576" in body["detail"] or "1 MiB" in body["detail"]
    assert not Flow.objects.exists()
