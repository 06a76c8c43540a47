"""WorkingDirectory on its worker: one directory its tasks share, run one after the other through the
run context's `subtasks`, here an in-memory stand-in that runs each task in place."""

import json

import pytest

from flowhub.engine.context import RunContext
from flowhub.engine.errors import InvalidFlowError, TaskFailure
from flowhub.engine.planner import tolerated
from flowhub.engine.states import State
from flowhub.engine.tasks.flow import WorkingDirectory

from .test_core_tasks import ListSink
from .test_runnable_tasks import RUN, MemoryServices, saved

VARIABLES = {"flow": {"id": "f", "namespace": "acme"}, "inputs": {}, "outputs": {}}


class InPlaceSubtasks:
    """Runs each task at once in a context of its own sharing the directory; remembers what ran, in order."""

    def __init__(self, services):
        self.services = services
        self.ran: list[tuple[str, State]] = []
        self.outputs: dict[str, dict] = {}

    def run(self, task, working_dir, stop):
        ctx = RunContext(VARIABLES, ListSink(), services=self.services, task_run=RUN, working_dir=working_dir)
        try:
            self.outputs[task.id] = task.run(ctx)
            state = State.SUCCESS
        except TaskFailure:
            state = State.FAILED
        state = tolerated(task, state)
        self.ran.append((task.id, state))
        return state


@pytest.fixture
def services():
    return MemoryServices()


@pytest.fixture
def subtasks(services):
    return InPlaceSubtasks(services)


@pytest.fixture
def ctx(services, subtasks):
    return RunContext(VARIABLES, ListSink(), services=services, task_run=RUN, subtasks=subtasks)


def working_directory(tasks_yaml: str) -> WorkingDirectory:
    flow = saved(f"    type: io.kestra.plugin.core.flow.WorkingDirectory\n{tasks_yaml}")
    (task,) = flow.tasks
    assert isinstance(task, WorkingDirectory)
    return task


def test_a_file_written_by_one_task_is_read_by_the_next_and_output_files_are_stored(ctx, services, subtasks):
    services.files["acme", "/lib/greeting.txt"] = b"hello"
    task = working_directory(
        """\
    namespaceFiles: {enabled: true}
    inputFiles:
      data.csv: "1,2"
    outputFiles: ["*.txt"]
    tasks:
      - id: write
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - cat lib/greeting.txt data.csv > note.txt
      - id: read
        type: io.kestra.plugin.scripts.python.Script
        script: |
          import json
          print("::" + json.dumps({"outputs": {"note": open("note.txt").read()}}) + "::")
"""
    )
    outputs = task.run(ctx)
    assert subtasks.ran == [("write", State.SUCCESS), ("read", State.SUCCESS)]
    assert subtasks.outputs["read"]["vars"] == {"note": "hello1,2"}
    assert list(outputs) == ["outputFiles"] and list(outputs["outputFiles"]) == ["note.txt"]
    assert services.stored[outputs["outputFiles"]["note.txt"]] == b"hello1,2"
    assert not ctx.warned


def test_a_failed_task_stops_the_rest_then_errors_and_finally_run_in_the_same_directory(ctx, subtasks):
    task = working_directory(
        """\
    tasks:
      - id: leave_a_trace
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo trace > trace.txt"]
      - id: switched_off
        type: io.kestra.plugin.core.log.Log
        message: never
        disabled: true
      - id: boom
        type: io.kestra.plugin.core.execution.Fail
      - id: never
        type: io.kestra.plugin.core.log.Log
        message: never
    errors:
      - id: handle
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["test -f trace.txt"]
    finally:
      - id: cleanup
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["rm trace.txt"]
"""
    )
    with pytest.raises(TaskFailure, match=r"^task 'boom' ended FAILED$"):
        task.run(ctx)
    assert subtasks.ran == [
        ("leave_a_trace", State.SUCCESS),
        ("boom", State.FAILED),
        ("handle", State.SUCCESS),
        ("cleanup", State.SUCCESS),
    ]


def test_an_allowed_failure_warns_and_the_rest_go_on(ctx, subtasks):
    task = working_directory(
        """\
    tasks:
      - id: tolerated
        type: io.kestra.plugin.core.execution.Fail
        allowFailure: true
      - id: after
        type: io.kestra.plugin.core.debug.Return
        format: still here
"""
    )
    assert task.run(ctx) == {}
    assert subtasks.ran == [("tolerated", State.WARNING), ("after", State.SUCCESS)]
    assert ctx.warned


def test_a_failing_finally_fails_it(ctx, subtasks):
    task = working_directory(
        """\
    tasks:
      - id: fine
        type: io.kestra.plugin.core.debug.Return
        format: ok
    finally:
      - id: cleanup
        type: io.kestra.plugin.core.execution.Fail
"""
    )
    with pytest.raises(TaskFailure, match=r"^task 'cleanup' ended FAILED$"):
        task.run(ctx)


def test_a_stop_starts_no_further_task(ctx, subtasks):
    task = working_directory(
        """\
    tasks:
      - id: one
        type: io.kestra.plugin.core.debug.Return
        format: ok
"""
    )
    ctx.stop.set()
    with pytest.raises(TaskFailure, match="stopped before task 'one'"):
        task.run(ctx)
    assert subtasks.ran == []


def test_without_subtasks_it_says_what_it_lacks(services):
    task = working_directory(
        """\
    tasks:
      - id: one
        type: io.kestra.plugin.core.debug.Return
        format: ok
"""
    )
    with pytest.raises(Exception, match="runs other tasks"):
        task.run(RunContext(VARIABLES, ListSink(), services=services, task_run=RUN))


@pytest.mark.parametrize("branch", ["tasks", "errors", "finally"])
def test_only_runnable_tasks_may_run_inside(branch):
    nested = """\
      - id: group
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - id: inner
            type: io.kestra.plugin.core.log.Log
            message: hi
"""
    first = "    tasks:\n      - id: ok\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n"
    tasks = "" if branch == "tasks" else first
    with pytest.raises(InvalidFlowError) as raised:
        working_directory(f"{tasks}    {branch}:\n{nested}")
    assert [(error.path, error.detail) for error in raised.value.errors] == [
        (f"tasks[0].{branch}", "Only runnable tasks are allowed as children of a WorkingDirectory task")
    ]


def test_it_runs_and_its_tasks_are_found_by_id_but_a_cache_is_not_applied_yet():
    flow = saved(
        """\
    type: io.kestra.core.tasks.flows.WorkingDirectory
    tasks:
      - id: inside
        type: io.kestra.plugin.core.log.Log
        message: hi
"""
    )
    assert flow.not_runnable == ()
    assert flow.task("inside").id == "inside"
    cached = saved(
        """\
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache: {patterns: ["node_modules/**"], ttl: PT1H}
    tasks:
      - id: inside
        type: io.kestra.plugin.core.log.Log
        message: hi
"""
    )
    assert [(gap.path, gap.detail) for gap in cached.not_runnable] == [
        ("tasks[0].cache", "flowhub does not apply a task's 'cache' yet")
    ]


def test_its_json_schema_lists_its_branches():
    schema = WorkingDirectory.model_json_schema(by_alias=True)
    assert {"tasks", "errors", "finally", "inputFiles", "outputFiles", "namespaceFiles"} <= set(schema["properties"])
    json.dumps(schema)
