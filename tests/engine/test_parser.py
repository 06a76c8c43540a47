import pytest

from flowhub.engine.errors import InvalidFlowError
from flowhub.engine.parser import parse_flow, validate_namespace
from flowhub.engine.registry import default_registry
from flowhub.engine.tasks.core import Log, Return

from .flows import HELLO

REGISTRY = default_registry()
LOG = "io.kestra.plugin.core.log.Log"
TASKS = f"tasks:\n  - id: t\n    type: {LOG}\n    message: m\n"


def errors_of(source: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(InvalidFlowError) as raised:
        parse_flow(source, REGISTRY)
    return [(error.path, error.detail, error.line) for error in raised.value.errors]


def test_a_valid_flow_is_parsed_into_typed_tasks():
    flow = parse_flow(HELLO, REGISTRY)
    assert (flow.id, flow.namespace, flow.description) == ("hello", "acme.sales", "Greets someone.")
    assert [type(task) for task in flow.tasks] == [Log, Return]
    assert flow.labels == {"team": "sales"}
    assert flow.variables == {"greeting": "Hello"}
    assert [spec.id for spec in flow.inputs] == ["name"]
    assert [spec.id for spec in flow.outputs] == ["shout"]
    assert flow.task("answer").format == "{{ inputs.name | upper }}"


def test_old_type_aliases_resolve_to_the_same_task_type():
    source = "id: f\nnamespace: n\ntasks:\n  - id: r\n    type: io.kestra.core.tasks.debugs.Return\n    format: x\n"
    assert isinstance(parse_flow(source, REGISTRY).tasks[0], Return)


def test_labels_may_be_a_list_of_key_value_pairs():
    source = f"id: f\nnamespace: n\nlabels:\n  - key: env\n    value: prod\n{TASKS}"
    assert parse_flow(source, REGISTRY).labels == {"env": "prod"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("", [("$", "a flow must be a YAML mapping, got empty", None)]),
        ("- a\n- b\n", [("$", "a flow must be a YAML mapping, got list", 1)]),
        (
            "namespace: n\ntasks: []\n",
            [("id", "field required", 1), ("tasks", "must be a non-empty list of tasks", 2)],
        ),
        (
            f"id: f\nnamespace: n\ntasks:\n  - id: t\n    type: {LOG}\n    message: m\n  - id: t\n    type: {LOG}\n"
            "    message: m\n",
            [("tasks[1].id", "duplicate task id 't'", 7)],
        ),
        (
            "id: f\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.nope.Nope\n",
            [("tasks[0].type", "invalid type: unknown task type 'io.kestra.plugin.nope.Nope'", 5)],
        ),
        (
            f"id: f\nnamespace: n\ntasks:\n  - id: t\n    type: {LOG}\n",
            [("tasks[0].message", "field required", 4)],
        ),
        (
            f"id: f\nnamespace: n\ntasks:\n  - id: t\n    type: {LOG}\n    message: m\n    colour: red\n",
            [("tasks[0].colour", "unknown property", 7)],
        ),
        (
            f"id: f\nnamespace: n\ntasks:\n  - id: t\n    type: {LOG}\n    message: m\n    level: LOUD\n",
            [("tasks[0].level", "must be 'TRACE', 'DEBUG', 'INFO', 'WARN' or 'ERROR'", 7)],
        ),
        (
            f"id: f\nnamespace: n\ntasks:\n  - id: t.x\n    type: {LOG}\n    message: m\n",
            [("tasks[0].id", "String should match pattern '^[a-zA-Z0-9][a-zA-Z0-9_-]*$'", 4)],
        ),
        (
            f"id: f\nnamespace: n\nerrors: []\ntasks:\n  - id: t\n    type: {LOG}\n    message: m\n",
            [("errors", "'errors' is not supported by flowhub yet", 3)],
        ),
        (
            f"id: f\nnamespace: n\nowner: me\ntasks:\n  - id: t\n    type: {LOG}\n    message: m\n",
            [("owner", "unknown property", 3)],
        ),
        (
            f"id: f\nnamespace: n\nlabels:\n  system.foo: x\ntasks:\n  - id: t\n    type: {LOG}\n    message: m\n",
            [("labels.system.foo", "system labels can only be set by flowhub itself", 4)],
        ),
    ],
)
def test_invalid_flows_report_path_reason_and_line(source, expected):
    assert errors_of(source) == expected


def test_every_error_of_a_flow_is_reported_at_once():
    source = "id: -bad\nnamespace: Acme\ntasks:\n  - id: t\n    type: nope\n"
    assert [path for path, _, _ in errors_of(source)] == ["id", "namespace", "tasks[0].type"]


@pytest.mark.parametrize(
    ("namespace", "valid"),
    [
        ("acme", True),
        ("acme.sales-eu_2", True),
        ("Acme", False),
        ("acme..sales", False),
        ("acme.", False),
        (".acme", False),
        ("acme/sales", False),
        ("a" * 151, False),
        ("", False),
    ],
)
def test_namespace_rules(namespace, valid):
    assert (validate_namespace(namespace) is None) is valid


@pytest.mark.parametrize(
    ("input_yaml", "expected"),
    [
        ("    type: COLOR\n", "must be 'STRING', 'INT', 'FLOAT', 'BOOLEAN', 'BOOL', 'DATETIME', 'DATE', 'TIME',"),
        ("    type: SELECT\n", "an input of type SELECT needs 'values'"),
        ("    type: ARRAY\n", "an ARRAY input needs 'itemType'"),
        ("    type: ARRAY\n    itemType: ARRAY\n", "an ARRAY input needs 'itemType'"),
        ("    type: DATE\n    after: soon\n", "'after' must be a date: expected a date like 2024-05-01"),
        ("    type: DURATION\n    min: 5\n", "'min' must be a duration"),
        ("    type: SELECT\n    values: [a, b]\n    defaults: c\n", "it must match the values [a, b]"),
        ("    type: STRING\n    validator: '[a-z]+'\n    defaults: ABC\n", "it must match the pattern"),
        ("    type: STRING\n    dependsOn:\n      condition: '{{ oops'\n", "invalid expression at line 1"),
        ("    type: INT\n    defaults: abc\n", "expected an integer"),
        ("    type: INT\n    min: 5\n    defaults: 2\n", "it must be more than 5"),
        ("    type: INT\n    validator: x\n", "property 'validator' does not apply to inputs of type INT"),
        ("    type: STRING\n    validator: '('\n", "validator is not a valid regular expression"),
    ],
)
def test_input_declarations_are_validated(input_yaml, expected):
    source = (
        f"id: f\nnamespace: n\ninputs:\n  - id: x\n{input_yaml}tasks:\n  - id: t\n    type: {LOG}\n    message: m\n"
    )
    (error,) = errors_of(source)
    assert error[0].startswith("inputs[0]")
    assert error[1].startswith(expected)


def test_duplicate_input_ids_are_rejected():
    source = (
        "id: f\nnamespace: n\ninputs:\n  - id: x\n    type: STRING\n  - id: x\n    type: INT\n"
        f"tasks:\n  - id: t\n    type: {LOG}\n    message: m\n"
    )
    assert errors_of(source) == [("inputs[1].id", "duplicate input id 'x'", 6)]


def test_input_name_is_accepted_as_the_legacy_alias_of_id():
    source = f"id: f\nnamespace: n\ninputs:\n  - name: x\n    type: STRING\n{TASKS}"
    assert parse_flow(source, REGISTRY).inputs[0].id == "x"


def test_template_syntax_errors_are_save_time_errors_with_path_and_line():
    source = (
        "id: f\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
        '    message:\n      - "fine {{ inputs.x }}"\n      - "broken {{ inputs.x "\n'
    )
    ((path, detail, line),) = errors_of(source)
    assert (path, line) == ("tasks[0].message", 7)
    assert detail.startswith("invalid expression at line 1:")


def _with_inputs(inputs_yaml: str) -> str:
    return f"id: f\nnamespace: n\ninputs:\n{inputs_yaml}{TASKS}"


def test_depends_on_must_name_declared_inputs():
    source = _with_inputs("  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [ghost]\n")
    assert errors_of(source) == [("inputs[0].dependsOn", "input 'a' depends on a non-existent input 'ghost'", 7)]


def test_a_depends_on_cycle_is_refused():
    source = _with_inputs(
        "  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [c]\n"
        "  - id: b\n    type: STRING\n    dependsOn:\n      inputs: [a]\n"
        "  - id: c\n    type: STRING\n    dependsOn:\n      inputs: [b]\n"
    )
    assert errors_of(source) == [
        ("inputs[0].dependsOn", "cycle dependency detected for input 'a': a -> c -> b -> a", 7)
    ]
