"""Restart and replay plans: which task runs run again, which flowable runs reopen, which are left out.

Each scenario runs a flow in the planner's simulation, applies the plan as the executions app does,
and runs the flow on to its new end.
"""

from dataclasses import replace

import pytest

from flowhub.engine import reruns
from flowhub.engine.planner import TaskRunView
from flowhub.engine.reruns import NothingToRerunError, Rerun
from flowhub.engine.states import State

from .test_planner import Simulation, flowable, log


def ids(simulation: Simulation, *names: str) -> frozenset[str]:
    """The ids of the runs named `task` or `task@value`."""
    by_name = {
        (run.task_id if run.value is None else f"{run.task_id}@{run.value}"): run_id
        for run_id, run in simulation.runs.items()
    }
    return frozenset(by_name[name] for name in names)


def rerun_in(simulation: Simulation, rerun: Rerun, outcomes: dict[str, State] | None = None) -> None:
    """Apply `rerun` as a restart does (the execution runs again), with new outcomes for the tasks."""
    for run_id in rerun.drop:
        del simulation.runs[run_id]
    for run_id in rerun.again:
        simulation.runs[run_id] = replace(simulation.runs[run_id], state=State.RESTARTED, outputs={})
    for run_id in rerun.reopen:
        simulation.runs[run_id] = replace(simulation.runs[run_id], state=State.RUNNING)
    simulation.state = State.RUNNING
    simulation.outcomes = outcomes or {}
    simulation.ran = []


def settle(simulation: Simulation) -> None:
    """Plan until only workers are waited for."""
    while not simulation.step().is_empty:
        pass


def restarted(source: str, failures: dict[str, State]) -> tuple[Simulation, Rerun]:
    simulation = Simulation(source, failures)
    assert simulation.run() in (State.FAILED, State.KILLED)
    return simulation, reruns.restart(simulation.flow, simulation.runs.values())


def test_a_restart_runs_the_failed_task_again_keeps_what_succeeded_and_drops_the_error_handlers():
    source = "tasks:\n" + log("a") + log("b") + log("c") + "errors:\n" + log("alert") + "finally:\n" + log("bye")
    simulation, rerun = restarted(source, {"b": State.FAILED})
    assert rerun == Rerun(again=ids(simulation, "b"), reopen=frozenset(), drop=ids(simulation, "alert", "bye"))
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["b"], ["c"], ["bye"]]


def test_a_restart_goes_back_into_the_flowable_tasks_that_hold_a_failed_one():
    group = flowable(
        "group", "Sequential", "    tasks:\n" + log("x", 6) + log("y", 6) + "    errors:\n" + log("local", 6)
    )
    simulation, rerun = restarted("tasks:\n" + group + log("after"), {"y": State.FAILED})
    assert rerun == Rerun(again=ids(simulation, "y"), reopen=ids(simulation, "group"), drop=ids(simulation, "local"))
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["y"], ["after"]]
    assert simulation.states() == {state: State.SUCCESS for state in ("group", "x", "y", "after")}


def test_a_restart_runs_every_killed_run_again_and_a_flowable_holding_nothing_starts_over():
    branch = flowable("branch", "If", "        condition: true\n        then:\n" + log("t", 10), indent=6)
    simulation = Simulation("tasks:\n" + flowable("fan", "Parallel", "    tasks:\n" + log("a", 6) + branch))
    simulation.runs = {  # killed as the If was created, before it started
        "k0": TaskRunView("k0", "fan", State.KILLED),
        "k1": TaskRunView("k1", "a", State.KILLED, parent_id="k0"),
        "k2": TaskRunView("k2", "branch", State.KILLED, parent_id="k0"),
    }
    rerun = reruns.restart(simulation.flow, simulation.runs.values())
    assert rerun == Rerun(again=frozenset({"k1", "k2"}), reopen=frozenset({"k0"}), drop=frozenset())
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["a", "t"]]


def test_a_killed_loop_reopens_and_goes_on_with_the_values_it_had():
    body = "    values: [1, 2, 3]\n    tasks:\n" + log("t", 6)
    simulation = Simulation("tasks:\n" + flowable("each", "ForEach", body))
    settle(simulation)
    simulation.work()  # t@1 ended
    settle(simulation)  # t@2 created
    for run_id in ids(simulation, "t@2", "each"):
        simulation.runs[run_id] = replace(simulation.runs[run_id], state=State.KILLED)
    rerun = reruns.restart(simulation.flow, simulation.runs.values())
    assert (rerun.again, rerun.reopen) == (ids(simulation, "t@2"), ids(simulation, "each"))
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["t@2"], ["t@3"]]


def test_a_failed_finally_alone_is_dropped_and_runs_again():
    simulation, rerun = restarted("tasks:\n" + log("a") + "finally:\n" + log("bye"), {"bye": State.FAILED})
    assert rerun == Rerun(again=frozenset(), reopen=frozenset(), drop=ids(simulation, "bye"))
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["bye"]]


def test_there_is_nothing_to_restart_when_nothing_failed():
    simulation = Simulation("tasks:\n" + log("a"))
    assert simulation.run() == State.SUCCESS
    with pytest.raises(NothingToRerunError, match="No task found to restart execution from!"):
        reruns.restart(simulation.flow, simulation.runs.values())


def replayed(source: str, chosen: str) -> tuple[Simulation, Rerun]:
    simulation = Simulation(source)
    assert simulation.run() == State.SUCCESS
    (chosen_id,) = ids(simulation, chosen)
    return simulation, reruns.replay(simulation.flow, simulation.runs.values(), chosen_id)


def test_a_replay_runs_the_chosen_task_again_and_what_follows_it_keeping_what_came_before():
    source = "tasks:\n" + log("a") + log("b") + log("c") + "finally:\n" + log("bye")
    simulation, rerun = replayed(source, "b")
    assert rerun == Rerun(again=ids(simulation, "b"), reopen=frozenset(), drop=ids(simulation, "c", "bye"))
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["b"], ["c"], ["bye"]]


def test_a_replay_inside_a_flowable_reopens_it_and_drops_what_follows_on_the_way_up():
    group = flowable("group", "Sequential", "    tasks:\n" + log("x", 6) + log("y", 6) + log("z", 6))
    simulation, rerun = replayed("tasks:\n" + log("first") + group + log("after"), "y")
    assert rerun == Rerun(
        again=ids(simulation, "y"), reopen=ids(simulation, "group"), drop=ids(simulation, "z", "after")
    )
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["y"], ["z"], ["after"]]


def test_a_replay_in_a_parallel_keeps_the_tasks_beside_it():
    fan = flowable("fan", "Parallel", "    tasks:\n" + log("p1", 6) + log("p2", 6) + log("p3", 6))
    simulation, rerun = replayed("tasks:\n" + fan + log("after"), "p2")
    assert rerun == Rerun(again=ids(simulation, "p2"), reopen=ids(simulation, "fan"), drop=ids(simulation, "after"))


def test_a_replay_in_a_loop_keeps_the_other_values():
    body = "    values: [1, 2]\n    tasks:\n" + log("t", 6) + log("u", 6)
    simulation, rerun = replayed("tasks:\n" + flowable("each", "ForEach", body) + log("after"), "t@1")
    assert rerun == Rerun(
        again=ids(simulation, "t@1"), reopen=ids(simulation, "each"), drop=ids(simulation, "u@1", "after")
    )
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["t@1"], ["u@1"], ["after"]]


def test_a_replay_from_a_flowable_starts_it_over():
    group = flowable("group", "Sequential", "    tasks:\n" + log("x", 6) + log("y", 6))
    simulation, rerun = replayed("tasks:\n" + group + log("after"), "group")
    assert rerun == Rerun(again=ids(simulation, "group"), reopen=frozenset(), drop=ids(simulation, "x", "y", "after"))
    rerun_in(simulation, rerun)
    assert simulation.run() == State.SUCCESS
    assert simulation.ran == [["x"], ["y"], ["after"]]


def test_a_replay_from_an_unknown_task_run_is_refused():
    simulation = Simulation("tasks:\n" + log("a"))
    simulation.run()
    with pytest.raises(NothingToRerunError, match="no task run 'nope'"):
        reruns.replay(simulation.flow, simulation.runs.values(), "nope")


def test_handler_tasks_are_those_of_every_errors_and_finally_block_however_deep():
    inner = flowable("inner", "Sequential", "        tasks:\n" + log("t", 10) + "        finally:\n" + log("f2", 10), 6)
    group = flowable("group", "Sequential", "    tasks:\n" + inner + "    errors:\n" + log("e2", 6))
    handler = flowable("e1", "Sequential", "    tasks:\n" + log("deep", 6))
    simulation = Simulation("tasks:\n" + group + "errors:\n" + handler + "finally:\n" + log("f1"))
    assert reruns.handler_task_ids(simulation.flow) == {"e1", "deep", "f1", "e2", "f2"}
