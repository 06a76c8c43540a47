from flowhub.engine.parser import parse_flow
from flowhub.engine.planner import Plan, Snapshot, TaskRunView, plan
from flowhub.engine.registry import default_registry
from flowhub.engine.states import State

from .flows import HELLO

FLOW = parse_flow(HELLO, default_registry())


def run(task_id: str, state: State) -> TaskRunView:
    return TaskRunView(task_id=task_id, state=state)


def test_a_created_execution_starts_with_its_first_task():
    assert plan(Snapshot(FLOW, State.CREATED)) == Plan(start=True, create=("greet",))


def test_a_running_task_is_waited_for():
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.RUNNING),))).is_empty
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.CREATED),))).is_empty


def test_the_next_task_follows_a_finished_one():
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.SUCCESS),))) == Plan(create=("answer",))
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.WARNING),))) == Plan(create=("answer",))


def test_a_failed_or_killed_task_ends_the_execution_in_its_state():
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.FAILED),))) == Plan(finish=State.FAILED)
    assert plan(Snapshot(FLOW, State.RUNNING, (run("greet", State.KILLED),))) == Plan(finish=State.KILLED)


def test_all_tasks_done_ends_in_the_worst_state():
    done = (run("greet", State.SUCCESS), run("answer", State.SUCCESS))
    assert plan(Snapshot(FLOW, State.RUNNING, done)) == Plan(finish=State.SUCCESS)
    warned = (run("greet", State.WARNING), run("answer", State.SUCCESS))
    assert plan(Snapshot(FLOW, State.RUNNING, warned)) == Plan(finish=State.WARNING)


def test_finished_or_other_states_plan_nothing():
    for state in (State.SUCCESS, State.FAILED, State.KILLED, State.PAUSED, State.KILLING, State.QUEUED):
        assert plan(Snapshot(FLOW, state)).is_empty


def test_planning_is_a_pure_function_of_the_snapshot():
    snapshot = Snapshot(FLOW, State.RUNNING, (run("greet", State.SUCCESS),))
    assert plan(snapshot) == plan(snapshot)


def test_disabled_tasks_get_no_task_run():
    flow = parse_flow(HELLO.replace("  - id: answer\n", "  - id: answer\n    disabled: true\n"), default_registry())
    assert plan(Snapshot(flow, State.RUNNING, (run("greet", State.SUCCESS),))) == Plan(finish=State.SUCCESS)
    skipped_first = parse_flow(
        HELLO.replace("  - id: greet\n", "  - id: greet\n    disabled: true\n"), default_registry()
    )
    assert plan(Snapshot(skipped_first, State.CREATED)) == Plan(start=True, create=("answer",))
