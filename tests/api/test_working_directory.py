"""WorkingDirectory through the worker: its tasks share one directory on one worker, each a task run of its
own with its state, outputs and logs; a failure fails it; the reaper ends it and its tasks with a lost worker."""

from datetime import timedelta

from django.utils import timezone

from executions import executor, recovery
from executions.heartbeat import lease
from executions.models import Execution, LogEntry, TaskRun
from executions.transitions import history_entry, task_run_transition
from flowhub.engine.states import State

from .drive import run_to_end
from .helpers import RUNS_TASKS_ON_THIS_PROCESS, YAML
from .test_runnable_tasks_flows import run, stored

pytestmark = RUNS_TASKS_ON_THIS_PROCESS

SHARED = """\
id: shared
namespace: acme.data
tasks:
  - id: seed
    type: io.kestra.plugin.core.storage.Write
    content: "1,a"
    extension: .csv
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      seed.csv: "{{ outputs.seed.uri }}"
    outputFiles: ["*.csv"]
    tasks:
      - id: write
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - cat seed.csv > data.csv
          - printf '\\n2,b\\n' >> data.csv
          - echo wrote
      - id: skipped
        type: io.kestra.plugin.core.log.Log
        runIf: "{{ outputs.write.exitCode != 0 }}"
        message: never
      - id: switched_off
        type: io.kestra.plugin.core.log.Log
        disabled: true
        message: never
      - id: read
        type: io.kestra.plugin.scripts.python.Script
        script: |
          import json
          print("::" + json.dumps({"outputs": {"content": open("data.csv").read()}}) + "::")
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.read.vars.content | trim }}|{{ read(outputs.wd.outputFiles['data.csv']) | trim }}"
"""


def test_the_tasks_share_one_directory_and_each_is_a_task_run_of_its_own(api):
    execution, outputs, logs = run(api, SHARED)
    assert execution.state == "SUCCESS", logs
    runs = {run.task_id: run for run in TaskRun.objects.filter(execution=execution)}
    assert list(runs) == ["seed", "wd", "write", "skipped", "read", "after"]
    wd = runs["wd"]
    assert {task_id: (run.parent_id, run.state, run.on_worker) for task_id, run in runs.items() if run.parent_id} == {
        "write": (wd.id, "SUCCESS", False),
        "skipped": (wd.id, "SKIPPED", False),
        "read": (wd.id, "SUCCESS", False),
    }
    assert outputs["read"]["vars"] == {"content": "1,a\n2,b\n"}
    assert outputs["after"] == {"value": "1,a\n2,b|1,a\n2,b"}
    uri = outputs["wd"]["outputFiles"]["data.csv"]
    assert uri.startswith(f"kestra:///acme/data/shared/executions/{execution.id}/wd/{wd.id}/")
    assert stored(uri) == b"1,a\n2,b\n"
    (line,) = LogEntry.objects.filter(execution=execution, task_id="write")
    assert (line.task_run_id, line.attempt, line.level, line.message) == (runs["write"].id, 1, "INFO", "wrote")

    body = api.get(f"/api/v1/executions/{execution.id}").json()
    shown = [(run["taskId"], run.get("parentTaskRunId"), run["state"]["current"]) for run in body["taskRunList"]]
    assert ("read", wd.id, "SUCCESS") in shown and ("skipped", wd.id, "SKIPPED") in shown


FAILING = """\
id: failing_directory
namespace: acme
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: fine
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo fine"]
      - id: boom
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo 'disk full' >&2", "exit 4"]
      - id: never
        type: io.kestra.plugin.core.log.Log
        message: never
  - id: not_reached
    type: io.kestra.plugin.core.log.Log
    message: never
errors:
  - id: report
    type: io.kestra.plugin.core.debug.Return
    format: "{% for line in errorLogs() %}{{ line.taskId }}: {{ line.message }};{% endfor %}"
"""


def test_a_failing_task_fails_the_working_directory_and_the_flow_s_errors_run(api):
    execution, outputs, _ = run(api, FAILING)
    assert execution.state == "FAILED"
    states = dict(TaskRun.objects.filter(execution=execution).values_list("task_id", "state"))
    assert states == {"wd": "FAILED", "fine": "SUCCESS", "boom": "FAILED", "report": "SUCCESS"}
    assert outputs["report"]["value"] == (
        "boom: disk full;boom: Command failed with exit code 4:\ndisk full;wd: task 'boom' ended FAILED;"
    )


FLAKY_INSIDE = """\
id: flaky_inside
namespace: acme
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: flaky
        type: io.kestra.plugin.scripts.shell.Commands
        retry: {type: constant, interval: PT0.1S, maxAttempt: 3}
        commands:
          - test -f tried || { touch tried; echo "first try fails" >&2; exit 1; }
          - echo "attempt {{ taskrun.attemptsCount + 1 }}"
      - id: slow
        type: io.kestra.plugin.scripts.shell.Commands
        timeout: PT0.5S
        allowFailure: true
        commands: ["sleep 30"]
      - id: last
        type: io.kestra.plugin.core.log.Log
        message: "{{ outputs.flaky.exitCode }}"
"""


def test_retries_timeouts_and_allowed_failures_apply_to_the_tasks_inside(api):
    started = timezone.now()
    execution, _, logs = run(api, FLAKY_INSIDE)
    assert timezone.now() - started < timedelta(seconds=20)  # the 30 s sleep was cut at its timeout
    assert execution.state == "WARNING", logs
    runs = {run.task_id: run for run in TaskRun.objects.filter(execution=execution)}
    assert {task_id: run.state for task_id, run in runs.items()} == {
        "wd": "WARNING",
        "flaky": "SUCCESS",
        "slow": "WARNING",
        "last": "SUCCESS",
    }
    flaky = runs["flaky"]
    assert flaky.attempt == 2
    assert [entry["state"] for entry in flaky.state_history] == ["CREATED", "RUNNING", "RETRYING", "RUNNING", "SUCCESS"]
    attempts = list(LogEntry.objects.filter(task_run=flaky).values_list("attempt", "level", "message"))
    assert (1, "ERROR", "first try fails") in attempts and (2, "INFO", "attempt 2") in attempts
    assert ("last", "INFO", "0") in logs
    assert not any(message == "Terminated" for _, _, message in logs)


WD_TO_LOSE = """\
id: lost_directory
namespace: acme
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    {retry}tasks:
      - id: inside
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT1H
      - id: later
        type: io.kestra.plugin.core.log.Log
        message: later
"""


def mid_run(api, retry: str = "") -> tuple[TaskRun, TaskRun]:
    """A WorkingDirectory claimed by a worker now gone, with its first task running, as that worker left them."""
    api.post("/api/v1/flows", WD_TO_LOSE.format(retry=retry), content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme/lost_directory", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    wd = TaskRun.objects.get(execution_id=execution_id, task_id="wd")
    assert wd.on_worker and wd.state == "CREATED"
    task_run_transition(wd, State.RUNNING, worker_id="gone:7", started_at=timezone.now(), attempt=1)
    inside = TaskRun.objects.create(
        execution_id=execution_id, parent=wd, task_id="inside", on_worker=False, state=State.CREATED,
        state_history=[history_entry(State.CREATED, timezone.now())],
    )  # fmt: skip
    task_run_transition(inside, State.RUNNING, worker_id="gone:7", started_at=timezone.now(), attempt=1)
    return wd, inside


def test_a_lost_worker_fails_the_working_directory_and_the_task_it_was_running(api):
    wd, inside = mid_run(api)
    assert recovery.task_runs_reap(now=timezone.now() + lease() + timedelta(seconds=1)) == 1
    wd.refresh_from_db()
    inside.refresh_from_db()
    assert (wd.state, inside.state) == ("FAILED", "FAILED")
    (line,) = LogEntry.objects.filter(task_run=inside).values_list("message", flat=True)
    assert line == "worker lost: its WorkingDirectory 'wd' ended with its worker"
    assert run_to_end(wd.execution_id).state == "FAILED"
    assert not TaskRun.objects.filter(task_id="later").exists()


def test_a_lost_worker_s_working_directory_is_retried_as_a_whole(api):
    wd, inside = mid_run(api, retry="retry: {type: constant, interval: PT1M, maxAttempt: 2}\n    ")
    assert recovery.task_runs_reap(now=timezone.now() + lease() + timedelta(seconds=1)) == 1
    wd.refresh_from_db()
    inside.refresh_from_db()
    assert (wd.state, inside.state) == ("RETRYING", "FAILED")
    assert Execution.objects.get(pk=wd.execution_id).state == "RUNNING"
