"""plan(): what the executor does next, for sequential and flowable tasks, errors and finally blocks."""

import itertools
from dataclasses import replace

import pytest

from flowhub.engine.errors import TemplateError
from flowhub.engine.parser import parse_flow
from flowhub.engine.planner import (
    NewRun,
    Plan,
    Snapshot,
    TaskRunView,
    loop_values,
    plan,
    runs_if,
    started_outputs,
    state_seen,
    task_outputs,
    tolerated,
)
from flowhub.engine.registry import default_registry
from flowhub.engine.states import TERMINAL, State
from flowhub.engine.templating import render_value

from .flows import HELLO

REGISTRY = default_registry()
FLOW = parse_flow(HELLO, REGISTRY)


def run(task_id: str, state: State, parent: str | None = None) -> TaskRunView:
    return TaskRunView(id=f"run-{task_id}", task_id=task_id, state=state, parent_id=parent)


def test_a_created_execution_starts_with_its_first_task():
    assert plan(Snapshot(FLOW, State.CREATED)) == Plan(start=True, create=(NewRun("greet"),))


def test_a_running_task_is_waited_for():
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.RUNNING),))).is_empty
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.CREATED),))).is_empty


def test_the_next_task_follows_a_finished_one():
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.SUCCESS),))) == Plan(create=(NewRun("answer"),))
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.WARNING),))) == Plan(create=(NewRun("answer"),))
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.SKIPPED),))) == Plan(create=(NewRun("answer"),))


def test_a_failed_or_killed_task_ends_the_execution_in_its_state():
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.FAILED),))) == Plan(finish=State.FAILED)
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.KILLED),))) == Plan(finish=State.KILLED)


def test_all_tasks_done_ends_in_the_worst_state():
    done = (run("greet", State.SUCCESS), run("answer", State.SUCCESS))
    assert plan(Snapshot(FLOW, State.RUNNING, done)) == Plan(finish=State.SUCCESS)
    warned = (run("greet", State.WARNING), run("answer", State.SUCCESS))
    assert plan(Snapshot(FLOW, State.RUNNING, warned)) == Plan(finish=State.WARNING)


def test_finished_or_other_states_plan_nothing():
    for state in (State.SUCCESS, State.FAILED, State.KILLED, State.PAUSED, State.QUEUED):
        assert plan(Snapshot(FLOW, state)).is_empty


def test_a_killing_execution_is_killed_once_no_worker_is_on_its_tasks():
    assert plan(Snapshot(FLOW, State.KILLING, (run("greet", State.KILLING),))).is_empty
    assert plan(Snapshot(FLOW, State.KILLING, (run("greet", State.RUNNING),))).is_empty
    assert plan(Snapshot(FLOW, State.KILLING, (run("greet", State.KILLED),))) == Plan(finish=State.KILLED)


def test_planning_is_a_pure_function_of_the_snapshot():
    snapshot = Snapshot(FLOW, State.RUNNING, (run("greet", State.SUCCESS),))
    assert plan(snapshot) == plan(snapshot)


def test_disabled_tasks_get_no_task_run():
    flow = parse_flow(HELLO.replace("  - id: answer\n", "  - id: answer\n    disabled: true\n"), REGISTRY)
    assert plan(Snapshot(flow, State.RUNNING, (run("greet", State.SUCCESS),))) == Plan(finish=State.SUCCESS)
    skipped_first = parse_flow(HELLO.replace("  - id: greet\n", "  - id: greet\n    disabled: true\n"), REGISTRY)
    assert plan(Snapshot(skipped_first, State.CREATED)) == Plan(start=True, create=(NewRun("answer"),))


class Simulation:
    """The executor and workers in miniature: applies plans, and ends each runnable run as `outcomes` say.

    Records the order in which runnable tasks ran, to check what ran when.
    """

    def __init__(self, source: str, outcomes: dict[str, State] | None = None, inputs: dict | None = None):
        self.flow = parse_flow("id: f\nnamespace: n\n" + source, REGISTRY)
        self.outcomes = outcomes or {}
        self.context = {"inputs": inputs or {}}
        self.runs: dict[str, TaskRunView] = {}
        self.ids = (f"r{n}" for n in itertools.count())
        self.state = State.CREATED
        self.ran: list[list[str]] = []

    def step(self) -> Plan:
        decision = plan(Snapshot(self.flow, self.state, tuple(self.runs.values())))
        if decision.start:
            self.state = State.RUNNING
        for new in decision.create:
            task = self.flow.task(new.task_id)
            state = State.CREATED if runs_if(task, self.render) else State.SKIPPED
            run_id = next(self.ids)
            self.runs[run_id] = TaskRunView(
                run_id, new.task_id, state, parent_id=new.parent_id, value=new.value, iteration=new.iteration
            )
        for run_id in decision.resolve:
            current = self.runs[run_id]
            outputs = started_outputs(self.flow.task(current.task_id), self.render)
            self.runs[run_id] = replace(current, state=State.RUNNING, outputs=outputs)
        for run_id, state in decision.end:
            self.runs[run_id] = replace(self.runs[run_id], state=state)
        if decision.finish:
            self.state = decision.finish
        return decision

    def render(self, value):
        seen = state_seen(Snapshot(self.flow, self.state, tuple(self.runs.values())))
        return render_value(value, {**self.context, "execution": {"state": seen.value}})

    def work(self) -> None:
        """Every waiting runnable task run (new or restarted) ends, as its outcome says (SUCCESS by default)."""
        batch = []
        for run_id, current in self.runs.items():
            task = self.flow.task(current.task_id)
            if current.state in (State.CREATED, State.RESTARTED) and not hasattr(task, "branches"):
                end = tolerated(
                    task,
                    self.outcomes.get(
                        f"{current.task_id}@{current.value}", self.outcomes.get(current.task_id, State.SUCCESS)
                    ),
                )
                self.runs[run_id] = replace(current, state=end, outputs={"value": current.value})
                batch.append(current.task_id if current.value is None else f"{current.task_id}@{current.value}")
        if batch:
            self.ran.append(batch)

    def run(self, max_rounds: int = 100) -> State:
        for _ in range(max_rounds):
            while not self.step().is_empty and self.state not in TERMINAL:
                pass
            if self.state in TERMINAL:
                return self.state
            self.work()
        raise AssertionError("the simulation did not end")

    def states(self) -> dict[str, State]:
        return {current.task_id: current.state for current in self.runs.values()}


def log(task_id: str, indent: int = 2, extra: str = "") -> str:
    pad = " " * indent
    return f"{pad}- id: {task_id}\n{pad}  type: io.kestra.plugin.core.log.Log\n{pad}  message: hi\n{extra}"


def flowable(task_id: str, kind: str, body: str, indent: int = 2) -> str:
    pad = " " * indent
    return f"{pad}- id: {task_id}\n{pad}  type: io.kestra.plugin.core.flow.{kind}\n{body}"


def test_a_sequential_runs_its_tasks_in_order_then_the_flow_goes_on():
    source = "tasks:\n" + flowable("seq", "Sequential", "    tasks:\n" + log("a", 6) + log("b", 6)) + log("after")
    simulation = Simulation(source)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["a"], ["b"], ["after"]]
    assert simulation.states() == {"seq": State.SUCCESS, "a": State.SUCCESS, "b": State.SUCCESS, "after": State.SUCCESS}


def test_a_parallel_starts_its_tasks_together_within_its_limit():
    body = "    concurrent: 2\n    tasks:\n" + log("a", 6) + log("b", 6) + log("c", 6)
    simulation = Simulation("tasks:\n" + flowable("fan", "Parallel", body))
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["a", "b"], ["c"]]


def test_a_parallel_fails_when_a_task_fails_and_starts_no_more():
    body = "    concurrent: 2\n    tasks:\n" + log("a", 6) + log("b", 6) + log("c", 6)
    simulation = Simulation("tasks:\n" + flowable("fan", "Parallel", body) + log("after"), {"a": State.FAILED})
    assert simulation.run() == State.FAILED
    assert simulation.ran == [["a", "b"]]
    assert simulation.states()["fan"] == State.FAILED and "after" not in simulation.states()


@pytest.mark.parametrize(("go", "branch"), [(True, "agree"), (False, "refuse"), ("0", "refuse"), ("anything", "agree")])
def test_an_if_runs_then_or_else_as_its_condition_renders(go, branch):
    body = '    condition: "{{ inputs.go }}"\n    then:\n' + log("agree", 6) + "    else:\n" + log("refuse", 6)
    simulation = Simulation("tasks:\n" + flowable("check", "If", body), inputs={"go": go})
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [[branch]]
    check = next(current for current in simulation.runs.values() if current.task_id == "check")
    assert check.outputs == {"evaluationResult": branch == "agree"}


def test_an_if_without_else_and_a_false_condition_succeeds_with_nothing_run():
    body = "    condition: 'false'\n    then:\n" + log("agree", 6)
    simulation = Simulation("tasks:\n" + flowable("check", "If", body))
    assert simulation.run() == State.SUCCESS and simulation.ran == []


@pytest.mark.parametrize(
    ("kind", "ran", "state"), [("csv", ["read_csv"], State.SUCCESS), ("xml", ["other"], State.SUCCESS)]
)
def test_a_switch_runs_the_matching_case_or_its_defaults(kind, ran, state):
    body = (
        '    value: "{{ inputs.kind }}"\n    cases:\n      csv:\n'
        + log("read_csv", 8)
        + "      json:\n"
        + log("read_json", 8)
        + "    defaults:\n"
        + log("other", 6)
    )
    simulation = Simulation("tasks:\n" + flowable("route", "Switch", body), inputs={"kind": kind})
    assert simulation.run() == state
    assert simulation.ran == [ran]


def test_a_switch_with_no_matching_case_and_no_defaults_fails():
    body = '    value: "{{ inputs.kind }}"\n    cases:\n      csv:\n' + log("read_csv", 8)
    simulation = Simulation("tasks:\n" + flowable("route", "Switch", body), inputs={"kind": "xml"})
    assert simulation.run() == State.FAILED
    assert simulation.states() == {"route": State.FAILED}


def test_allow_failure_turns_a_failure_into_a_warning_and_the_flow_goes_on():
    body = "    tasks:\n" + log("breaks", 6)
    simulation = Simulation(
        "tasks:\n" + flowable("tolerant", "AllowFailure", body) + log("after"), {"breaks": State.FAILED}
    )
    assert simulation.run() == State.WARNING
    assert simulation.states() == {"tolerant": State.WARNING, "breaks": State.FAILED, "after": State.SUCCESS}


def test_the_allow_failure_and_allow_warning_properties():
    failing = log("breaks", extra="    allowFailure: true\n") + log("after")
    simulation = Simulation("tasks:\n" + failing, {"breaks": State.FAILED})
    assert simulation.run() == State.WARNING
    assert simulation.states()["breaks"] == State.WARNING
    both = log("breaks", extra="    allowFailure: true\n    allowWarning: true\n")
    assert Simulation("tasks:\n" + both, {"breaks": State.FAILED}).run() == State.SUCCESS


def test_flow_errors_run_after_a_failure_and_finally_always_the_flow_still_fails():
    source = "tasks:\n" + log("a") + log("b") + "errors:\n" + log("alert") + "finally:\n" + log("cleanup")
    simulation = Simulation(source, {"a": State.FAILED})
    assert simulation.run() == State.FAILED
    assert simulation.ran == [["a"], ["alert"], ["cleanup"]]
    succeeding = Simulation(source)
    assert succeeding.run() == State.SUCCESS
    assert succeeding.ran == [["a"], ["b"], ["cleanup"]]


def test_a_failing_finally_fails_a_successful_flow():
    source = "tasks:\n" + log("a") + "finally:\n" + log("cleanup")
    assert Simulation(source, {"cleanup": State.FAILED}).run() == State.FAILED


def test_a_flowable_s_own_errors_run_when_its_tasks_fail():
    body = "    tasks:\n" + log("inner", 6) + "    errors:\n" + log("local_handler", 6)
    source = "tasks:\n" + flowable("group", "Sequential", body) + "errors:\n" + log("global_handler")
    simulation = Simulation(source, {"inner": State.FAILED})
    assert simulation.run() == State.FAILED
    assert simulation.ran == [["inner"], ["local_handler"], ["global_handler"]]


def test_run_if_false_skips_the_task_and_counts_as_success():
    source = "tasks:\n" + log("maybe", extra='    runIf: "{{ inputs.go }}"\n') + log("after")
    simulation = Simulation(source, inputs={"go": False})
    assert simulation.run() == State.SUCCESS
    assert simulation.states() == {"maybe": State.SKIPPED, "after": State.SUCCESS}


def test_nested_flowables_resolve_in_one_executor_call():
    inner = flowable("inner", "Sequential", "        tasks:\n" + log("deep", 10), indent=6)
    source = "tasks:\n" + flowable("outer", "Parallel", "    tasks:\n" + inner + log("side", 6))
    simulation = Simulation(source)
    while not simulation.step().is_empty:
        pass
    waiting = {current.task_id for current in simulation.runs.values() if current.state == State.CREATED}
    assert waiting == {"deep", "side"}
    assert simulation.run() == State.SUCCESS


def test_a_for_each_runs_its_tasks_once_per_value_one_value_at_a_time():
    body = "    values: [eu, us]\n    tasks:\n" + log("a", 6) + log("b", 6)
    simulation = Simulation("tasks:\n" + flowable("each", "ForEach", body) + log("after"))
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["a@eu"], ["b@eu"], ["a@us"], ["b@us"], ["after"]]


@pytest.mark.parametrize(("limit", "rounds"), [(2, [["t@1", "t@2"], ["t@3"]]), (0, [["t@1", "t@2", "t@3"]])])
def test_a_for_each_runs_up_to_its_concurrency_limit_of_values_at_once(limit, rounds):
    body = f"    values: '[1, 2, 3]'\n    concurrencyLimit: {limit}\n    tasks:\n" + log("t", 6)
    simulation = Simulation("tasks:\n" + flowable("each", "ForEach", body))
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == rounds


def test_a_failed_value_starts_no_more_values_and_fails_the_loop():
    body = "    values: [a, b, c]\n    tasks:\n" + log("t", 6)
    simulation = Simulation("tasks:\n" + flowable("each", "ForEach", body), {"t@b": State.FAILED})
    assert simulation.run() == State.FAILED
    assert simulation.ran == [["t@a"], ["t@b"]]


def test_nested_loops_and_the_older_each_tasks():
    inner = flowable("inner", "EachParallel", "        value: [x, y]\n        tasks:\n" + log("t", 10), indent=6)
    body = '    value: \'["a", "b"]\'\n    tasks:\n' + inner
    simulation = Simulation("tasks:\n" + flowable("outer", "EachSequential", body))
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["t@x", "t@y"], ["t@x", "t@y"]]
    outputs = task_outputs(tuple(simulation.runs.values()))
    assert outputs["t"] == {
        "a": {"x": {"value": "x"}, "y": {"value": "y"}},
        "b": {"x": {"value": "x"}, "y": {"value": "y"}},
    }


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, "a", {"k": 1}, 1], ["1", "a", '{"k":1}']),
        ('["p", "q"]', ["p", "q"]),
        ('[{"name": "Zoë", "tier": null}, [1, 2.5]]', ['{"name":"Zoë"}', "[1,2.5]"]),  # as Kestra's Jackson writes them
    ],
)
def test_loop_values_are_text_each_once(values, expected):
    assert loop_values(values) == expected


@pytest.mark.parametrize("values", ["not json", '{"a": 1}', [1, None], 3])
def test_loop_values_must_be_a_list_without_nulls(values):
    with pytest.raises(TemplateError):
        loop_values(values)


def node(task_id: str, depends_on: list[str], extra: str = "") -> str:
    """A Dag node holding a Log task; `extra` adds properties to the task."""
    pad = " " * 10
    task = f"      - task:\n{pad}id: {task_id}\n{pad}type: io.kestra.plugin.core.log.Log\n{pad}message: hi\n{extra}"
    return task + (f"        dependsOn: {depends_on}\n" if depends_on else "")


def dag(nodes: dict[str, list[str]], concurrent: int = 0, extra: str = "", task_extra: dict | None = None) -> str:
    """A Dag of Log tasks, `{task id: the ids it depends on}`, as the flow's only task."""
    extras = task_extra or {}
    body = f"    concurrent: {concurrent}\n{extra}    tasks:\n"
    body += "".join(node(task_id, depends_on, extras.get(task_id, "")) for task_id, depends_on in nodes.items())
    return "tasks:\n" + flowable("graph", "Dag", body)


DIAMOND = {"download": [], "clean": ["download"], "profile": ["download"], "publish": ["clean", "profile"]}
DIAMOND_ROUNDS = [["download"], ["clean", "profile"], ["publish"]]
FOUR = {"a": [], "b": [], "c": [], "d": []}
FAILED, WARNING, SUCCESS = State.FAILED, State.WARNING, State.SUCCESS


@pytest.mark.parametrize(
    ("nodes", "concurrent", "outcomes", "final", "ran"),
    [
        pytest.param(DIAMOND, 0, {}, SUCCESS, DIAMOND_ROUNDS, id="fan-out-then-in"),
        pytest.param({**FOUR, "d": ["a", "b", "c"]}, 0, {}, SUCCESS, [["a", "b", "c"], ["d"]], id="fan-in"),
        pytest.param({**FOUR, "d": ["a"]}, 2, {}, SUCCESS, [["a", "b"], ["c", "d"]], id="concurrency-limit"),
        pytest.param(FOUR, 1, {}, SUCCESS, [["a"], ["b"], ["c"], ["d"]], id="one-at-a-time"),
        pytest.param(DIAMOND, 0, {"profile": WARNING}, WARNING, DIAMOND_ROUNDS, id="a-warning-goes-on"),
        pytest.param({**FOUR, "c": ["a"], "d": ["c"]}, 0, {"a": FAILED}, FAILED, [["a", "b"]], id="failure-stops"),
        pytest.param(FOUR, 2, {"a": FAILED}, FAILED, [["a", "b"]], id="failure-fills-no-free-slot"),
    ],
)
def test_a_dag_starts_each_node_once_its_dependencies_ended_well(nodes, concurrent, outcomes, final, ran):
    simulation = Simulation(dag(nodes, concurrent), outcomes)
    assert simulation.run() == final
    assert simulation.ran == ran
    assert simulation.states()["graph"] == final


def test_a_dag_waits_for_its_running_nodes_after_a_failure_and_ends_in_the_worst_state():
    simulation = Simulation(dag({"a": [], "b": [], "c": ["b"]}))
    while not simulation.step().is_empty:
        pass
    runs = {current.task_id: run_id for run_id, current in simulation.runs.items()}
    simulation.runs[runs["a"]] = replace(simulation.runs[runs["a"]], state=State.FAILED)
    simulation.runs[runs["b"]] = replace(simulation.runs[runs["b"]], state=State.RUNNING)
    assert simulation.step().is_empty  # b still runs: the Dag waits for it, and starts nothing after a's failure
    simulation.runs[runs["b"]] = replace(simulation.runs[runs["b"]], state=State.SUCCESS)
    assert simulation.step() == Plan(end=((runs["graph"], State.FAILED),))
    assert "c" not in simulation.states()


@pytest.mark.parametrize("extra", ['          runIf: "false"\n', "          disabled: true\n"])
def test_a_skipped_or_disabled_node_lets_what_depends_on_it_run(extra):
    simulation = Simulation(dag({"a": [], "b": ["a"]}, task_extra={"a": extra}))
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["b"]]
    assert simulation.states()["graph"] == State.SUCCESS


def test_a_dag_s_errors_and_finally_run_as_for_other_flowables():
    extra = "    errors:\n" + log("handler", 6) + "    finally:\n" + log("cleanup", 6)
    simulation = Simulation(dag({"a": [], "b": ["a"]}, extra=extra), {"a": State.FAILED})
    assert simulation.run() == State.FAILED
    assert simulation.ran == [["a"], ["handler"], ["cleanup"]]
    assert simulation.states()["graph"] == State.FAILED


ON_FAILURE = "    runIf: \"{{ execution.state == 'FAILED' }}\"\n"
AFTER = "afterExecution:\n" + log("on_failure", extra=ON_FAILURE) + log("always")


def test_after_execution_runs_once_the_final_state_is_decided_and_sees_it():
    source = "tasks:\n" + log("a") + "errors:\n" + log("alert") + "finally:\n" + log("cleanup") + AFTER
    failing = Simulation(source, {"a": State.FAILED})
    assert failing.run() == State.FAILED
    assert failing.ran == [["a"], ["alert"], ["cleanup"], ["on_failure"], ["always"]]
    succeeding = Simulation(source)
    assert succeeding.run() == State.SUCCESS
    assert succeeding.ran == [["a"], ["cleanup"], ["always"]]
    assert succeeding.states()["on_failure"] == State.SKIPPED


def test_the_execution_ends_only_after_its_after_execution_tasks_whose_failure_changes_nothing():
    simulation = Simulation("tasks:\n" + log("a") + AFTER, {"always": State.FAILED})
    for _ in range(2):
        while not simulation.step().is_empty:
            pass
        simulation.work()
    assert simulation.states() == {"a": State.SUCCESS, "on_failure": State.SKIPPED, "always": State.FAILED}
    assert simulation.state == State.RUNNING  # the final state was decided when `a` ended; it is set now
    assert simulation.step() == Plan(finish=State.SUCCESS)


def test_templates_see_the_decided_state_only_while_after_execution_runs():
    flow = parse_flow("id: f\nnamespace: n\ntasks:\n" + log("a") + "finally:\n" + log("b") + AFTER, REGISTRY)
    seen = lambda *runs: state_seen(Snapshot(flow, State.RUNNING, runs))  # noqa: E731
    assert seen(run("a", State.RUNNING)) == State.RUNNING
    assert seen(run("a", State.FAILED), run("b", State.RUNNING)) == State.RUNNING  # in finally, as in Kestra
    assert seen(run("a", State.FAILED), run("b", State.SUCCESS)) == State.FAILED
    assert seen(run("a", State.SUCCESS), run("b", State.SUCCESS), run("always", State.RUNNING)) == State.SUCCESS
    assert state_seen(Snapshot(flow, State.KILLING, (run("a", State.SUCCESS),))) == State.KILLING
