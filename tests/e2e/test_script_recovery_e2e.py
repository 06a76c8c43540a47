"""A worker pool process SIGKILLed while a script runs: the attempt ends FAILED "worker lost" or is retried
as its policy says, the execution ends, and the script's processes do not outlive their worker for long.
Also a WorkingDirectory under a lost worker, and one killed over HTTP."""

import os
import signal
import time
from pathlib import Path

import psycopg2
import pytest

from .conftest import running_task
from .processes import alive
from .quickstart import Api

pytestmark = pytest.mark.distributed

ORPHAN_BOUND_SECONDS = 15
"""How long a script's process may outlive its killed worker: its guard polls every second."""


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def kill_worker_running(database_url: str, execution_id: str) -> None:
    worker_id = running_task(database_url, execution_id)
    os.kill(int(worker_id.rsplit(":", 1)[1]), signal.SIGKILL)


def attempts(database_url: str, execution_id: str) -> dict[str, int]:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT task_id, attempt FROM executions_taskrun WHERE execution_id = %s", [execution_id])
        return dict(cursor.fetchall())


def histories(execution: dict) -> dict[str, list[str]]:
    return {run["taskId"]: [entry["state"] for entry in run["state"]["histories"]] for run in execution["taskRunList"]}


def test_a_worker_killed_mid_script_fails_the_attempt_and_takes_the_script_with_it(stack, database_url, tmp_path):
    api, _ = stack
    pid_file = tmp_path / "sleep.pid"
    flow = f"""\
id: script-to-lose
namespace: acme
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo started
      - sleep 60 & echo $! > {pid_file}; wait
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: never reached
"""
    assert api.create_flow(flow).status_code == 200
    execution_id = api.trigger("acme", "script-to-lose").json()["id"]
    sleeper = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 30, "the script's start"))
    # Its first line is stored while it still runs, not only when it ends.
    wait_for(lambda: any(line["message"] == "started" for line in api.logs(execution_id)), 10, "the live log line")

    kill_worker_running(database_url, execution_id)
    killed_at = time.monotonic()
    wait_for(lambda: not alive(sleeper), ORPHAN_BOUND_SECONDS, "the end of the orphaned sleep")
    assert time.monotonic() - killed_at < ORPHAN_BOUND_SECONDS

    execution = api.wait_for_end(execution_id, timeout=60)
    assert execution["state"]["current"] == "FAILED"
    assert histories(execution) == {"long": ["CREATED", "RUNNING", "FAILED"]}
    assert any(line["message"].startswith("worker lost") for line in api.logs(execution_id))
    assert attempts(database_url, execution_id) == {"long": 1}


def test_a_script_whose_worker_died_is_retried_and_succeeds_on_its_second_attempt(stack, database_url, tmp_path):
    api, _ = stack
    marker = tmp_path / "first-attempt-ran"
    flow = f"""\
id: script-to-retry
namespace: acme
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    retry:
      type: constant
      interval: PT1S
      maxAttempt: 2
    commands:
      - if [ -f {marker} ]; then echo "second attempt"; exit 0; fi
      - touch {marker}
      - sleep 60
"""
    assert api.create_flow(flow).status_code == 200
    execution_id = api.trigger("acme", "script-to-retry").json()["id"]
    wait_for(marker.exists, 30, "the first attempt's start")
    kill_worker_running(database_url, execution_id)

    execution = api.wait_for_end(execution_id, timeout=60)
    assert execution["state"]["current"] == "SUCCESS"
    assert histories(execution) == {"long": ["CREATED", "RUNNING", "RETRYING", "RUNNING", "SUCCESS"]}
    messages = [line["message"] for line in api.logs(execution_id)]
    assert any(message.startswith("worker lost") and "attempt 2 in" in message for message in messages)
    assert "second attempt" in messages
    assert attempts(database_url, execution_id) == {"long": 2}


def working_directory_flow(flow_id: str, pid_file: Path) -> str:
    return f"""\
id: {flow_id}
namespace: acme
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: prepare
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo ready > ready.txt"]
      - id: long
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - test -f ready.txt
          - sleep 60 & echo $! > {pid_file}; wait
      - id: later
        type: io.kestra.plugin.core.log.Log
        message: never reached
"""


def test_a_worker_killed_mid_working_directory_fails_it_and_the_task_it_ran(stack, database_url, tmp_path):
    api, _ = stack
    pid_file = tmp_path / "sleep.pid"
    assert api.create_flow(working_directory_flow("directory-to-lose", pid_file)).status_code == 200
    execution_id = api.trigger("acme", "directory-to-lose").json()["id"]
    sleeper = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 30, "the script's start"))
    kill_worker_running(database_url, execution_id)

    execution = api.wait_for_end(execution_id, timeout=60)
    assert execution["state"]["current"] == "FAILED"
    assert histories(execution) == {
        "wd": ["CREATED", "RUNNING", "FAILED"],
        "prepare": ["CREATED", "RUNNING", "SUCCESS"],
        "long": ["CREATED", "RUNNING", "FAILED"],
    }
    assert not alive(sleeper)


def test_killing_a_working_directory_over_http_stops_the_task_it_runs(stack, database_url, tmp_path):
    api, _ = stack
    pid_file = tmp_path / "sleep.pid"
    assert api.create_flow(working_directory_flow("directory-to-kill", pid_file)).status_code == 200
    execution_id = api.trigger("acme", "directory-to-kill").json()["id"]
    sleeper = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 30, "the script's start"))
    assert api.session.delete(f"{api.base}/executions/{execution_id}/kill").status_code == 202

    execution = api.wait_for_end(execution_id, timeout=30)
    assert execution["state"]["current"] == "KILLED"
    states = {run["taskId"]: run["state"]["current"] for run in execution["taskRunList"]}
    assert states == {"wd": "KILLED", "prepare": "SUCCESS", "long": "KILLED"}
    wait_for(lambda: not alive(sleeper), 15, "the end of the killed script")


def test_a_working_directory_s_output_file_is_downloaded(stack: tuple[Api, Path]):
    api, _ = stack
    flow = """\
id: directory-output
namespace: acme
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    outputFiles: ["*.txt"]
    tasks:
      - id: write
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo hello > out.txt"]
      - id: read
        type: io.kestra.plugin.scripts.python.Script
        script: |
          print("::" + '{"outputs": {"text": "' + open("out.txt").read().strip() + '"}}' + "::")
"""
    assert api.create_flow(flow).status_code == 200
    execution = api.wait_for_end(api.trigger("acme", "directory-output").json()["id"], timeout=60)
    assert execution["state"]["current"] == "SUCCESS"
    outputs = {run["taskId"]: run["outputs"] for run in execution["taskRunList"]}
    assert outputs["read"]["vars"] == {"text": "hello"}
    uri = outputs["wd"]["outputFiles"]["out.txt"]
    response = api.session.get(f"{api.base}/main/executions/{execution['id']}/file", params={"path": uri})
    assert response.status_code == 200 and response.content == b"hello\n"
