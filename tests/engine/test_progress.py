"""progress(): total and done task runs, a percent weighed by the flow's structure, the tasks running now."""

from dataclasses import replace

import pytest

from flowhub.engine.parser import parse_flow
from flowhub.engine.planner import Snapshot, TaskRunView
from flowhub.engine.progress import Progress, progress
from flowhub.engine.registry import default_registry
from flowhub.engine.states import State

from .flows import HELLO
from .test_planner import Simulation, flowable, log

REGISTRY = default_registry()
FLOW = parse_flow(HELLO, REGISTRY)


def run(task_id: str, state: State, **fields) -> TaskRunView:
    return TaskRunView(id=f"run-{task_id}", task_id=task_id, state=state, **fields)


def test_a_created_execution_expects_its_tasks_and_has_done_nothing():
    assert progress(Snapshot(FLOW, State.CREATED)) == Progress(total=2, done=0, percent=0, current=())


def test_a_running_task_is_current_and_an_ended_one_is_its_share():
    running = progress(Snapshot(FLOW, State.RUNNING, (run("greet", State.RUNNING),)))
    assert running == Progress(total=2, done=0, percent=0, current=("greet",))
    halfway = progress(Snapshot(FLOW, State.RUNNING, (run("greet", State.SUCCESS), run("answer", State.CREATED))))
    assert halfway == Progress(total=2, done=1, percent=50, current=())


def test_the_percent_stays_below_100_until_the_execution_has_ended():
    runs = (run("greet", State.SUCCESS), run("answer", State.SUCCESS))
    assert progress(Snapshot(FLOW, State.RUNNING, runs)).percent == 99
    assert progress(Snapshot(FLOW, State.SUCCESS, runs)) == Progress(total=2, done=2, percent=100, current=())


def test_an_ended_execution_counts_only_the_runs_that_exist():
    failed = progress(Snapshot(FLOW, State.FAILED, (run("greet", State.FAILED),)))
    assert failed == Progress(total=1, done=1, percent=100, current=())


def test_disabled_tasks_are_no_share_and_not_expected():
    flow = parse_flow(HELLO.replace("  - id: answer\n", "  - id: answer\n    disabled: true\n"), REGISTRY)
    assert progress(Snapshot(flow, State.RUNNING, (run("greet", State.RUNNING),))) == Progress(1, 0, 0, ("greet",))


class Recording(Simulation):
    """A simulation that records the progress after every step of the executor and every batch of workers."""

    def __init__(self, source: str, **options):
        super().__init__(source, **options)
        self.seen: list[Progress] = [self.progress()]

    def progress(self) -> Progress:
        return progress(Snapshot(self.flow, self.state, tuple(self.runs.values())))

    def step(self):
        decision = super().step()
        self.seen.append(self.progress())
        return decision

    def work(self) -> None:
        super().work()
        self.seen.append(self.progress())


def percents(simulation: Recording) -> list[int]:
    return list(dict.fromkeys(seen.percent for seen in simulation.seen))


def test_a_loop_opening_its_iterations_does_not_take_the_percent_back():
    body = '    values: ["a", "b", "c", "d"]\n    concurrencyLimit: 1\n    tasks:\n' + log("x", 6) + log("y", 6)
    simulation = Recording("tasks:\n" + log("prep") + flowable("each", "ForEach", body))
    assert simulation.run() == State.SUCCESS
    assert percents(simulation) == [0, 50, 56, 62, 68, 75, 81, 87, 93, 99, 100]
    totals = [seen.total for seen in simulation.seen]
    assert totals[0] == 2 and max(totals) == totals[-1] == 1 + 1 + 4 * 2  # prep, the loop, its eight runs
    assert simulation.seen[-1] == Progress(total=10, done=10, percent=100, current=())


def test_the_total_forecasts_the_tasks_a_started_block_has_not_created_yet():
    body = "    tasks:\n" + log("a", 6) + log("b", 6) + log("c", 6)
    simulation = Recording("tasks:\n" + flowable("seq", "Sequential", body))
    while not simulation.step().is_empty:  # the execution starts, `seq` starts, and creates `a`
        pass
    assert simulation.progress() == Progress(total=4, done=0, percent=0, current=())
    simulation.work()  # `a` ends
    assert simulation.progress() == Progress(total=4, done=1, percent=33, current=())


def test_only_the_branch_an_if_chose_is_counted():
    body = '    condition: "{{ inputs.go }}"\n    then:\n' + log("agree", 6) + "    else:\n" + log("x", 6) + log("y", 6)
    simulation = Recording("tasks:\n" + flowable("check", "If", body), inputs={"go": False})
    assert simulation.run() == State.SUCCESS
    assert percents(simulation) == [0, 50, 99, 100]
    assert simulation.seen[-1].total == 3  # check, x, y


def test_errors_and_finally_blocks_are_counted_as_runs_but_are_no_share():
    source = "tasks:\n" + log("main") + "errors:\n" + log("alert") + "finally:\n" + log("cleanup")
    simulation = Recording(source, outcomes={"main": State.FAILED})
    assert simulation.run() == State.FAILED
    assert percents(simulation) == [0, 99, 100]
    assert simulation.seen[-1] == Progress(total=3, done=3, percent=100, current=())


@pytest.mark.parametrize("kind", ["Parallel", "Dag"])
def test_parallel_work_climbs_by_each_task_ended(kind):
    if kind == "Parallel":
        body = "    tasks:\n" + log("a", 6) + log("b", 6) + log("c", 6) + log("d", 6)
    else:
        nodes = [("a", "[]"), ("b", "[a]"), ("c", "[a]"), ("d", "[b, c]")]
        body = "    tasks:\n" + "".join(
            f"      - task:\n          id: {name}\n          type: io.kestra.plugin.core.log.Log\n"
            f"          message: hi\n        dependsOn: {deps}\n"
            for name, deps in nodes
        )
    simulation = Recording("tasks:\n" + flowable("fan", kind, body))
    assert simulation.run() == State.SUCCESS
    seen = [seen.percent for seen in simulation.seen]
    assert seen == sorted(seen) and seen[-1] == 100 and 99 in seen


def test_current_lists_each_running_runnable_task_once_and_no_flowable_one():
    body = '    values: ["a", "b"]\n    concurrencyLimit: 0\n    tasks:\n' + log("x", 6)
    flow = parse_flow("id: f\nnamespace: n\ntasks:\n" + flowable("each", "ForEach", body), REGISTRY)
    loop = run("each", State.RUNNING, outputs={"values": ["a", "b"]})
    runs = (
        loop,
        replace(run("x", State.RUNNING, parent_id=loop.id, value="a", iteration=0), id="x-a"),
        replace(run("x", State.RUNNING, parent_id=loop.id, value="b", iteration=1), id="x-b"),
    )
    assert progress(Snapshot(flow, State.RUNNING, runs)) == Progress(total=3, done=0, percent=0, current=("x",))
