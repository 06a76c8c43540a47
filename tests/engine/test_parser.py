import pytest

from flowhub.engine.errors import InvalidFlowError
from flowhub.engine.namespaces import validate_namespace
from flowhub.engine.parser import parse_flow
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
            [("tasks[1].id", "duplicate task id 't', first used at tasks[0]", 7)],
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
            f"id: f\nnamespace: n\nsla: []\ntasks:\n  - id: t\n    type: {LOG}\n    message: m\n",
            [("sla", "'sla' is not supported by flowhub yet", 3)],
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


TYPE_NAMES = (
    "'STRING', 'INT', 'FLOAT', 'BOOLEAN', 'BOOL', 'DATETIME', 'DATE', 'TIME', 'DURATION', 'FILE', 'JSON', 'YAML', "
    "'URI', 'EMAIL', 'SECRET', 'ENUM', 'SELECT', 'MULTISELECT' or 'ARRAY'"
)
UNTERMINATED = "invalid expression at line 1: '}}' expected: the expression is not closed"


@pytest.mark.parametrize(
    ("input_yaml", "path", "message", "line"),
    [
        # The input starts at line 4 (`- id: x`); its properties follow from line 5.
        ("    type: COLOR\n", "inputs[0].type", f"must be {TYPE_NAMES}", 5),
        ("    type: STRING\n    color: red\n", "inputs[0].color", "unknown property", 6),
        (
            "    type: INT\n    validator: x\n",
            "inputs[0].validator",
            "property 'validator' does not apply to inputs of type INT",
            6,
        ),
        ("    type: SELECT\n", "inputs[0].values", "an input of type SELECT needs 'values' or 'expression'", 4),
        ("    type: ENUM\n", "inputs[0].values", "an input of type ENUM needs 'values'", 4),
        (
            "    type: MULTISELECT\n    values: [a]\n    options: [a]\n",
            "inputs[0].options",
            "use 'values' or its old name 'options', not both",
            7,
        ),
        ("    type: SELECT\n    expression: '{{ oops'\n", "inputs[0].expression", UNTERMINATED, 6),
        ("    type: ARRAY\n", "inputs[0].itemType", "an ARRAY input needs 'itemType'", 4),
        ("    type: ARRAY\n    itemType: ARRAY\n", "inputs[0].itemType", "'itemType' cannot be ARRAY", 6),
        (
            "    type: DATE\n    after: soon\n",
            "inputs[0].after",
            "'after' must be a date: expected a date like 2024-05-01",
            6,
        ),
        (
            "    type: DURATION\n    min: 5\n",
            "inputs[0].min",
            "'min' must be a duration: expected an ISO-8601 duration like PT5M or P1DT2H (no years, months or weeks)",
            6,
        ),
        ("    type: INT\n    min: 10\n    max: 1\n", "inputs[0].max", "'max' must not be less than 'min'", 7),
        (
            "    type: STRING\n    validator: '('\n",
            "inputs[0].validator",
            "validator is not a valid regular expression: missing ), unterminated subpattern at position 0",
            6,
        ),
        ("    type: INT\n    defaults: abc\n", "inputs[0].defaults", "expected an integer", 6),
        ("    type: INT\n    min: 5\n    defaults: 2\n", "inputs[0].defaults", "it must be more than 5", 7),
        (
            "    type: STRING\n    validator: '[a-z]+'\n    defaults: ABC\n",
            "inputs[0].defaults",
            "it must match the pattern '[a-z]+'",
            7,
        ),
        (
            "    type: SELECT\n    values: [a, b]\n    defaults: c\n",
            "inputs[0].defaults",
            "it must match the values [a, b]",
            7,
        ),
        ("    type: SELECT\n    values: [a]\n    prefill: b\n", "inputs[0].prefill", "it must match the values [a]", 7),
        (
            "    type: DATETIME\n    defaults: 2024-05-01 10:00:00\n",
            "inputs[0].defaults",
            "expected an ISO-8601 date-time with a time zone, like 2024-05-01T10:00:00Z",
            6,
        ),
        (
            "    type: STRING\n    dependsOn:\n      condition: '{{ oops'\n",
            "inputs[0].dependsOn.condition",
            UNTERMINATED,
            7,
        ),
    ],
)
def test_input_declarations_are_validated_with_path_and_line(input_yaml, path, message, line):
    assert errors_of(_with_inputs(f"  - id: x\n{input_yaml}")) == [(path, message, line)]


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
    source = _with_inputs(
        "  - id: a\n    type: STRING\n"
        "  - id: b\n    type: STRING\n    dependsOn:\n      inputs: [a, ghost]\n      condition: '{{ true }}'\n"
    )
    assert errors_of(source) == [
        ("inputs[1].dependsOn", "Input with id 'b' depends on a non-existent input 'ghost'.", 9)
    ]


def test_depends_on_an_input_that_is_itself_invalid_is_not_reported_as_missing():
    source = _with_inputs(
        "  - id: a\n    type: COLOR\n  - id: b\n    type: STRING\n    dependsOn:\n      inputs: [a]\n"
    )
    assert errors_of(source) == [("inputs[0].type", f"must be {TYPE_NAMES}", 5)]


def test_a_depends_on_cycle_is_refused_at_each_input_on_it():
    source = _with_inputs(
        "  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [c]\n"
        "  - id: b\n    type: STRING\n    dependsOn:\n      inputs: [a]\n"
        "  - id: c\n    type: STRING\n    dependsOn:\n      inputs: [b]\n"
        "  - id: d\n    type: STRING\n    dependsOn:\n      inputs: [a]\n"
    )
    assert errors_of(source) == [
        ("inputs[0].dependsOn", "Cycle dependency detected for input with id 'a': [a, c, b]", 7),
        ("inputs[1].dependsOn", "Cycle dependency detected for input with id 'b': [b, a, c]", 11),
        ("inputs[2].dependsOn", "Cycle dependency detected for input with id 'c': [c, b, a]", 15),
    ]


def test_an_input_cannot_depend_on_itself():
    source = _with_inputs("  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [a]\n")
    assert errors_of(source) == [("inputs[0].dependsOn", "Cycle dependency detected for input with id 'a': [a]", 7)]


def test_every_kestra_input_type_can_be_declared():
    declarations = {
        "STRING": "validator: '[a-z]+'",
        "INT": "min: 1\n    max: 9",
        "FLOAT": "min: 0.5",
        "BOOLEAN": "defaults: false",
        "BOOL": "defaults: true",
        "DATETIME": "after: 2024-01-01T00:00:00Z",
        "DATE": "before: 2030-01-01",
        "TIME": "after: '08:00'",
        "DURATION": "max: PT1H",
        "FILE": "allowedFileExtensions: [.csv]\n    extension: .csv",
        "JSON": "defaults: {a: 1}",
        "YAML": "defaults: [a]",
        "URI": "defaults: https://example.com",
        "EMAIL": "defaults: a@example.com",
        "SECRET": "validator: '.{8,}'",
        "ENUM": "values: [a, b]",
        "SELECT": "values: [a, b]\n    allowCustomValue: true\n    isRadio: true\n    autoSelectFirst: true",
        "MULTISELECT": "options: ['1', '2']\n    itemType: INT\n    prefill: ['1']",
        "ARRAY": "itemType: DATE",
    }
    inputs = "".join(
        f"  - id: {kind.lower()}\n    type: {kind}\n    required: false\n    {extra}\n"
        for kind, extra in declarations.items()
    )
    flow = parse_flow(_with_inputs(inputs), REGISTRY)
    assert [spec.type for spec in flow.inputs] == list(declarations)
