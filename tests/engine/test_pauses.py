"""The Pause task in the engine: how long it waits, the state it leaves PAUSED in, and how plan() treats it."""

from datetime import timedelta

import pytest

from flowhub.engine import pauses
from flowhub.engine.errors import TemplateError
from flowhub.engine.parser import parse_flow
from flowhub.engine.planner import NewRun, Plan, Snapshot, TaskRunView, plan
from flowhub.engine.registry import default_registry
from flowhub.engine.states import State
from flowhub.engine.tasks.flow import Pause

REGISTRY = default_registry()
PAUSE = "io.kestra.plugin.core.flow.Pause"
LOG = "io.kestra.plugin.core.log.Log"


def flow(tasks: str):
    return parse_flow(f"id: f\nnamespace: n\ntasks:\n{tasks}", REGISTRY)


def pause(**properties) -> Pause:
    return Pause(id="wait", type=PAUSE, **properties)


def view(task_id: str, state: State, parent: str | None = None) -> TaskRunView:
    return TaskRunView(id=f"run-{task_id}", task_id=task_id, state=state, parent_id=parent)


SEQUENCE = flow(f"  - id: wait\n    type: {PAUSE}\n  - id: next\n    type: {LOG}\n    message: hi\n")


def test_a_pause_is_run_by_the_executor_and_no_longer_refused():
    assert SEQUENCE.not_runnable == ()
    running = Snapshot(SEQUENCE, State.RUNNING, (view("wait", State.CREATED),))
    assert plan(running) == Plan(resolve=("run-wait",))


def test_a_paused_run_holds_the_tasks_after_it_until_it_ends():
    assert plan(Snapshot(SEQUENCE, State.RUNNING, (view("wait", State.PAUSED),))).is_empty
    assert plan(Snapshot(SEQUENCE, State.PAUSED, (view("wait", State.PAUSED),))).is_empty
    for ended in (State.SUCCESS, State.WARNING):
        assert plan(Snapshot(SEQUENCE, State.RUNNING, (view("wait", ended),))) == Plan(create=(NewRun("next"),))
    assert plan(Snapshot(SEQUENCE, State.RUNNING, (view("wait", State.FAILED),))) == Plan(finish=State.FAILED)


def test_a_paused_run_in_a_parallel_branch_lets_the_others_go_on():
    parallel = flow(
        f"  - id: both\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n"
        f"      - id: wait\n        type: {PAUSE}\n      - id: busy\n        type: {LOG}\n        message: hi\n"
    )
    runs = (
        view("both", State.RUNNING),
        view("wait", State.PAUSED, "run-both"),
        view("busy", State.SUCCESS, "run-both"),
    )
    assert plan(Snapshot(parallel, State.RUNNING, runs)).is_empty  # the Parallel waits for the pause


WITH_TASKS = (
    f"  - id: wait\n    type: {PAUSE}\n    behavior: {{behavior}}\n    tasks:\n"
    f"      - id: first\n        type: {LOG}\n        message: hi\n"
    f"      - id: second\n        type: {LOG}\n        message: hi\n"
)


def test_a_resumed_pause_runs_its_tasks_one_after_the_other_and_ends_in_their_state():
    legacy = flow(WITH_TASKS.format(behavior="RESUME"))
    resumed = view("wait", State.RUNNING)
    assert plan(Snapshot(legacy, State.RUNNING, (resumed,))) == Plan(create=(NewRun("first", "run-wait"),))
    first = view("first", State.SUCCESS, "run-wait")
    assert plan(Snapshot(legacy, State.RUNNING, (resumed, first))) == Plan(create=(NewRun("second", "run-wait"),))
    done = (resumed, first, view("second", State.SUCCESS, "run-wait"))
    assert plan(Snapshot(legacy, State.RUNNING, done)).end == (("run-wait", State.SUCCESS),)
    failed = (resumed, view("first", State.FAILED, "run-wait"))
    assert plan(Snapshot(legacy, State.RUNNING, failed)).end == (("run-wait", State.FAILED),)


def test_with_behavior_warn_the_success_of_its_tasks_is_a_warning():
    warning = flow(WITH_TASKS.format(behavior="WARN"))
    done = (
        view("wait", State.RUNNING),
        view("first", State.SUCCESS, "run-wait"),
        view("second", State.SUCCESS, "run-wait"),
    )
    assert plan(Snapshot(warning, State.RUNNING, done)).end == (("run-wait", State.WARNING),)
    assert pauses.ended_tasks(pause(behavior="WARN"), State.FAILED) == State.FAILED


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({}, pauses.UNTIL_RESUMED),
        ({"pauseDuration": "PT5M"}, timedelta(minutes=5)),
        ({"delay": "PT30S"}, timedelta(seconds=30)),
        ({"timeout": "PT1H"}, timedelta(hours=1)),
        ({"pauseDuration": "PT1M", "timeout": "PT1H"}, timedelta(minutes=1)),
        ({"pauseDuration": "{{ inputs.wait }}"}, timedelta(days=2)),
    ],
)
def test_the_wait_is_the_duration_else_the_timeout_else_until_resumed(properties, expected):
    render = lambda value: value.replace("{{ inputs.wait }}", " P2D ")  # noqa: E731
    assert pauses.wait(pause(**properties), render) == expected


@pytest.mark.parametrize("rendered", ["soon", "P200000D"])
def test_a_duration_that_renders_to_no_usable_duration_is_a_template_error(rendered):
    with pytest.raises(TemplateError, match="the pause's duration"):
        pauses.wait(pause(pauseDuration="{{ inputs.wait }}"), lambda value: rendered)


@pytest.mark.parametrize(
    ("properties", "resumed", "elapsed"),
    [
        ({"pauseDuration": "PT1M"}, State.SUCCESS, State.SUCCESS),
        ({"pauseDuration": "PT1M", "behavior": "WARN"}, State.SUCCESS, State.WARNING),
        ({"pauseDuration": "PT1M", "behavior": "FAIL"}, State.SUCCESS, State.FAILED),
        ({"delay": "PT1M", "behavior": "CANCEL"}, State.SUCCESS, State.CANCELLED),
        ({"timeout": "PT1M"}, State.SUCCESS, State.FAILED),
        ({"timeout": "PT1M", "allowFailure": True}, State.SUCCESS, State.WARNING),
    ],
)
def test_the_state_a_pause_leaves_paused_in(properties, resumed, elapsed):
    assert pauses.resumed_state(pause(**properties)) == resumed
    assert pauses.elapsed_state(pause(**properties)) == elapsed


def test_a_pause_with_tasks_runs_them_when_resumed_or_when_its_duration_resumes_it():
    log = REGISTRY.task(LOG)(id="t", type=LOG, message="hi")
    for behavior in ("RESUME", "WARN"):
        legacy = pause(pauseDuration="PT1M", behavior=behavior, tasks=(log,))
        assert (pauses.resumed_state(legacy), pauses.elapsed_state(legacy)) == (State.RUNNING, State.RUNNING)
    assert pauses.elapsed_state(pause(pauseDuration="PT1M", behavior="FAIL", tasks=(log,))) == State.FAILED
