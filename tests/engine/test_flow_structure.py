"""The whole flow document: nested flowable tasks, errors/finally/afterExecution, triggers, policies."""

import pytest

from flowhub.engine.errors import InvalidFlowError
from flowhub.engine.fields import ExponentialRetry
from flowhub.engine.parser import parse_flow
from flowhub.engine.registry import default_registry
from flowhub.engine.tasks.core import Log
from flowhub.engine.tasks.flow import Dag, If, Parallel, Sequential, Switch
from flowhub.engine.tasks.triggers import FlowTrigger, Schedule, Webhook

REGISTRY = default_registry()
HEAD = "id: f\nnamespace: n\n"


def parse(body: str):
    return parse_flow(HEAD + body, REGISTRY)


def errors_of(body: str) -> list[tuple[str, str, int | None]]:
    """Each error's path, message and line, the line counted in `body` (after the flow's id and namespace)."""
    with pytest.raises(InvalidFlowError) as raised:
        parse(body)
    return [(error.path, error.detail, error.line - HEAD.count("\n")) for error in raised.value.errors]


def log(task_id: str, indent: int = 2) -> str:
    pad = " " * indent
    return f"{pad}- id: {task_id}\n{pad}  type: io.kestra.plugin.core.log.Log\n{pad}  message: hi\n"


NESTED = f"""\
tasks:
  - id: group
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: fan
        type: io.kestra.plugin.core.flow.Parallel
        concurrent: 2
        tasks:
{log("a", 10)}{log("b", 10)}
      - id: check
        type: io.kestra.plugin.core.flow.If
        condition: "{{{{ inputs.go }}}}"
        then:
{log("agree", 10)}        else:
{log("refuse", 10)}
  - id: route
    type: io.kestra.core.tasks.flows.Switch
    value: "{{{{ inputs.kind }}}}"
    cases:
      true:
{log("truthy", 8)}      csv:
{log("csv", 8)}    defaults:
{log("other", 6)}
errors:
{log("alert")}
finally:
{log("cleanup")}
afterExecution:
{log("report")}
"""


def test_nested_flowable_tasks_are_parsed_into_their_own_types():
    flow = parse(NESTED)
    group, route = flow.tasks
    assert isinstance(group, Sequential)
    fan, check = group.tasks
    assert isinstance(fan, Parallel) and fan.concurrent == 2
    assert [type(task) for task in fan.tasks] == [Log, Log]
    assert isinstance(check, If)
    assert [task.id for task in check.then] == ["agree"]
    assert [task.id for task in check.else_] == ["refuse"]
    assert isinstance(route, Switch)
    # YAML reads `true:` as a boolean; Kestra compares case keys as text.
    assert {key: [task.id for task in tasks] for key, tasks in route.cases.items()} == {
        "true": ["truthy"],
        "csv": ["csv"],
    }
    assert [task.id for task in route.defaults] == ["other"]
    assert [[task.id for task in tasks] for tasks in (flow.errors, flow.finally_, flow.after_execution)] == [
        ["alert"],
        ["cleanup"],
        ["report"],
    ]


def test_an_error_deep_in_the_tree_names_its_full_path_and_line():
    body = (
        "tasks:\n"
        "  - id: outer\n"
        "    type: io.kestra.plugin.core.flow.Sequential\n"
        "    tasks:\n"
        "      - id: inner\n"
        "        type: io.kestra.plugin.core.flow.Sequential\n"
        "        tasks:\n"
        "          - id: r\n"
        "            type: io.kestra.plugin.core.debug.Return\n"
        "            format: 3\n"
    )
    assert errors_of(body) == [("tasks[0].tasks[0].tasks[0].format", "must be a valid string", 10)]


def test_a_flowable_checks_its_own_properties_and_its_children_in_one_pass():
    body = (
        "tasks:\n"
        "  - id: fan\n"
        "    type: io.kestra.plugin.core.flow.Parallel\n"
        "    concurrent: -1\n"
        "    tasks:\n"
        "      - id: x\n"
        "        type: io.kestra.plugin.core.log.Log\n"
    )
    assert errors_of(body) == [
        ("tasks[0].tasks[0].message", "field required", 6),
        ("tasks[0].concurrent", "must be greater than or equal to 0", 4),
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "tasks:\n  - id: s\n    type: io.kestra.plugin.core.flow.Sequential\n",
            [("tasks[0].tasks", "field required", 2)],
        ),
        (
            "tasks:\n  - id: s\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks: []\n",
            [("tasks[0].tasks", "must be a non-empty list of tasks", 4)],
        ),
        (
            "tasks:\n  - id: s\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks: nope\n",
            [("tasks[0].tasks", "must be a list of tasks", 4)],
        ),
        (
            "tasks:\n  - id: s\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n      - 3\n",
            [("tasks[0].tasks[0]", "a task must be a mapping", 5)],
        ),
        (
            "tasks:\n  - id: s\n    type: io.kestra.plugin.core.flow.Switch\n    value: x\n    cases: [1]\n",
            [("tasks[0].cases", "must be a mapping of case values to lists of tasks", 5)],
        ),
        (
            "tasks:\n  - id: s\n    type: io.kestra.plugin.core.flow.Switch\n    value: x\n    cases:\n      a: []\n",
            [("tasks[0].cases", "case 'a' must be a non-empty list of tasks", 6)],
        ),
        (
            "tasks:\n  - id: i\n    type: io.kestra.plugin.core.flow.If\n    then:\n" + log("x", 6),
            [("tasks[0].condition", "field required", 2)],
        ),
        (
            "tasks:\n" + log("t") + "errors: nope\n",
            [("errors", "must be a list of tasks", 5)],
        ),
    ],
)
def test_branches_must_be_lists_of_tasks(body, expected):
    assert errors_of(body) == expected


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("tasks:\n" + log("t") + log("t"), 5),
        ("tasks:\n" + log("t") + "errors:\n" + log("t"), 6),
        ("tasks:\n" + log("t") + "finally:\n" + log("t"), 6),
        ("tasks:\n" + log("t") + "afterExecution:\n" + log("t"), 6),
        (
            "tasks:\n  - id: t\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n" + log("t", 6),
            5,
        ),
        (
            "tasks:\n  - id: g\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n"
            + log("t", 6)
            + "    errors:\n"
            + log("t", 6),
            9,
        ),
    ],
)
def test_task_ids_are_unique_across_the_whole_tree(body, line):
    ((path, detail, at),) = errors_of(body)
    assert path.endswith(".id") and detail.startswith("duplicate task id 't', first used at ") and at == line


def test_trigger_ids_are_unique_apart_from_task_ids():
    body = (
        "tasks:\n"
        + log("daily")
        + "triggers:\n"
        + "  - id: daily\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 9 * * *'\n"
        + "  - id: daily\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k\n"
    )
    assert errors_of(body) == [("triggers[1].id", "duplicate trigger id 'daily'", 9)]


def test_triggers_are_parsed_into_their_types_under_old_names_too():
    flow = parse(
        "tasks:\n" + log("t") + "triggers:\n"
        "  - id: daily\n    type: io.kestra.core.models.triggers.types.Schedule\n    cron: '@daily'\n"
        "    timezone: Europe/Paris\n    inputs:\n      who: cron\n"
        "  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: \"{{ secret('HOOK') }}\"\n"
        "  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n    states: [SUCCESS, FAILED]\n"
        "    conditions:\n      - type: io.kestra.plugin.core.condition.ExecutionFlow\n"
        "        namespace: n\n        flowId: other\n"
    )
    schedule, hook, after = flow.triggers
    assert isinstance(schedule, Schedule) and schedule.inputs == {"who": "cron"}
    assert isinstance(hook, Webhook) and hook.key == "{{ secret('HOOK') }}"
    assert isinstance(after, FlowTrigger) and [state.value for state in after.states] == ["SUCCESS", "FAILED"]
    assert after.conditions[0].type == "io.kestra.plugin.core.condition.ExecutionFlow"
    assert flow.not_runnable == ()  # declaring triggers does not stop a flow from running


@pytest.mark.parametrize(
    ("trigger", "path", "message"),
    [
        ("type: io.kestra.plugin.core.trigger.Schedule\n    cron: '61 * * * *'", "cron", "invalid cron expression"),
        ("type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 9 * *'", "cron", "expected 5 fields"),
        (
            "type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 9 * * *'\n    withSeconds: true",
            "cron",
            "expected 6 fields (seconds first",
        ),
        ("type: io.kestra.plugin.core.trigger.Schedule\n    cron: '@daily'\n    timezone: Mars/Base", "timezone", ""),
        ("type: io.kestra.plugin.core.trigger.Webhook", "key", "field required"),
        ("type: io.kestra.plugin.core.trigger.Webhook\n    key: ''", "key", "at least 1 character"),
        ("type: io.kestra.plugin.core.trigger.Flow\n    states: [DONE]", "states[0]", "must be 'CREATED'"),
        ("type: io.kestra.plugin.core.log.Log", "type", "'io.kestra.plugin.core.log.Log' is a task type"),
        ("type: com.example.Nope", "type", "invalid type: unknown trigger type 'com.example.Nope'"),
    ],
)
def test_bad_triggers_are_refused_at_their_property(trigger, path, message):
    ((where, detail, line),) = errors_of("tasks:\n" + log("t") + f"triggers:\n  - id: tr\n    {trigger}\n")
    assert where == f"triggers[0].{path}"
    assert message in detail
    assert line >= 6


def test_a_trigger_type_is_not_a_task():
    ((path, detail, _),) = errors_of("tasks:\n  - id: t\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k\n")
    assert (path, detail) == (
        "tasks[0].type",
        "invalid type: 'io.kestra.plugin.core.trigger.Webhook' is a trigger type",
    )


def test_concurrency_and_retry_are_typed_settings():
    flow = parse(
        "tasks:\n" + log("t") + "concurrency:\n  limit: 2\n  behavior: CANCEL\n"
        "retry:\n  type: exponential\n  interval: PT1S\n  maxInterval: PT1M\n  maxAttempts: 4\n"
    )
    assert (flow.policies.concurrency.limit, flow.policies.concurrency.behavior) == (2, "CANCEL")
    assert isinstance(flow.policies.retry, ExponentialRetry)
    assert flow.policies.retry.maxAttempt == 4


@pytest.mark.parametrize(
    ("policy", "path", "message"),
    [
        ("concurrency:\n  behavior: QUEUE", "concurrency.limit", "field required"),
        ("concurrency:\n  limit: 0", "concurrency.limit", "greater than or equal to 1"),
        ("retry:\n  type: constant\n  maxAttempt: 3", "retry.interval", "field required"),
        ("retry:\n  type: constant\n  interval: soon", "retry.interval", "ISO-8601 duration"),
        ("retry:\n  type: sometimes\n  interval: PT1S", "retry", "tag 'sometimes'"),
    ],
)
def test_bad_policies_are_refused_at_their_property(policy, path, message):
    ((where, detail, _),) = errors_of("tasks:\n" + log("t") + policy + "\n")
    assert where == path
    assert message in detail


def test_task_retry_and_timeout_are_checked_at_save():
    body = (
        "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: m\n"
        "    timeout: ten minutes\n    retry:\n      type: random\n      minInterval: PT1S\n"
    )
    assert [(path, line) for path, _, line in errors_of(body)] == [
        ("tasks[0].timeout", 5),
        ("tasks[0].retry.maxInterval", 7),
    ]


def test_a_duration_that_is_an_expression_is_left_for_the_run():
    flow = parse("tasks:\n" + log("t") + '    timeout: "{{ inputs.limit }}"\n')
    assert flow.tasks[0].timeout == "{{ inputs.limit }}"


def test_a_dag_names_unknown_dependencies_and_cycles():
    def dag(depends_a: str, depends_b: str) -> str:
        def node(task_id: str, depends_on: str) -> str:
            return (
                f"      - task:\n          id: {task_id}\n          type: io.kestra.plugin.core.log.Log\n"
                f"          message: hi\n        dependsOn: {depends_on}\n"
            )

        return (
            "tasks:\n  - id: d\n    type: io.kestra.plugin.core.flow.Dag\n    tasks:\n"
            + node("a", depends_a)
            + node("b", depends_b)
        )

    flow = parse(dag("[]", "[a]"))
    assert isinstance(flow.tasks[0], Dag)
    assert [(node.task.id, node.dependsOn) for node in flow.tasks[0].tasks] == [("a", ()), ("b", ("a",))]
    assert errors_of(dag("[]", "[c]")) == [
        ("tasks[0].tasks", "task 'b' depends on ['c'], which this Dag does not hold", 5)
    ]
    assert errors_of(dag("[b]", "[a]")) == [("tasks[0].tasks", "the dependencies form a cycle: ['a', 'b']", 5)]
    without_message = dag("[]", "[a]").replace(
        "id: b\n          type: io.kestra.plugin.core.log.Log\n          message: hi",
        "id: b\n          type: io.kestra.plugin.core.log.Log",
    )
    assert errors_of(without_message) == [("tasks[0].tasks[1].task.message", "field required", 11)]


def test_a_subflow_cannot_call_its_own_flow():
    body = "tasks:\n  - id: again\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: n\n    flowId: f\n"
    assert errors_of(body) == [("tasks[0]", "Recursive call to flow [n.f]", 2)]


def test_plugin_defaults_reach_nested_tasks_and_triggers():
    flow = parse(
        "pluginDefaults:\n"
        "  - type: io.kestra.plugin.core.log\n    values:\n      level: WARN\n"
        "  - type: io.kestra.plugin.core.trigger.Webhook\n    values:\n      key: from-defaults\n"
        "tasks:\n  - id: g\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n"
        + log("deep", 6)
        + "triggers:\n  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n"
    )
    assert flow.tasks[0].tasks[0].level == "WARN"
    assert flow.triggers[0].key == "from-defaults"


def test_what_flowhub_cannot_run_yet_is_listed_with_its_place():
    def directory(pad: str) -> str:
        return f"{pad}type: io.kestra.plugin.core.flow.WorkingDirectory\n{pad}tasks:\n" + log("in", len(pad) + 2)

    assert parse("tasks:\n  - id: dir\n" + directory("    ")).not_runnable == ()
    flow = parse(
        "tasks:\n"
        "  - id: fan\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n"
        "      - id: t\n        type: io.kestra.plugin.core.log.Log\n        message: m\n        logLevel: WARN\n"
        "      - id: dir\n" + directory(" " * 8) + "        cache: {patterns: [x]}\n"
        "  - id: plain\n    type: io.kestra.plugin.core.log.Log\n    message: m\n    runIf: 'true'\n"
    )
    assert [(gap.path, gap.detail, gap.line - HEAD.count("\n")) for gap in flow.not_runnable] == [
        ("tasks[0].tasks[1].cache", "flowhub does not apply a task's 'cache' yet", 15),
    ]


def test_a_disabled_task_and_all_it_holds_need_nothing_from_the_engine():
    flow = parse(
        "tasks:\n"
        + log("kept")
        + "  - id: skipped\n    type: io.kestra.plugin.core.flow.Parallel\n    disabled: true\n    tasks:\n"
        "      - id: t\n        type: io.kestra.plugin.core.log.Log\n        message: m\n        timeout: PT1S\n"
    )
    assert flow.not_runnable == ()
    assert flow.tasks[1].disabled


def test_inputs_cannot_be_both_a_value_and_a_group_of_dotted_inputs():
    body = "inputs:\n  - id: a\n    type: STRING\n  - id: a.b\n    type: STRING\ntasks:\n" + log("t")
    assert errors_of(body) == [("inputs[1].id", "input ids 'a' and 'a.b' clash: one nests in the other", 4)]
    sibling = "inputs:\n  - id: a.b\n    type: STRING\n  - id: a.c\n    type: STRING\n  - id: ab\n    type: INT\n"
    assert [spec.id for spec in parse(sibling + "tasks:\n" + log("t")).inputs] == ["a.b", "a.c", "ab"]
