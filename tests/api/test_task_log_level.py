"""A task's `logLevel`: its log lines below that level are not stored."""

import pytest

from executions.models import LogEntry

from .drive import run_to_end
from .helpers import RUNS_TASKS_ON_THIS_PROCESS, YAML, assert_problem

pytestmark = RUNS_TASKS_ON_THIS_PROCESS

LEVELS = """\
id: levels
namespace: acme
tasks:
  - id: quiet
    type: io.kestra.plugin.core.log.Log
    level: DEBUG
    message: dropped
    logLevel: INFO
  - id: chatty
    type: io.kestra.plugin.core.log.Log
    level: DEBUG
    message: kept, as no logLevel is set
  - id: warned
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: [kept at its level, also kept]
    logLevel: WARN
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    logLevel: ERROR
    commands:
      - echo to stdout, an INFO line
      - echo to stderr, an ERROR line >&2
      - 'echo ''::{"logs": [{"level": "WARN", "message": "a WARN line"}]}::'''
"""


def test_log_lines_below_a_task_s_log_level_are_not_stored(api):
    assert api.post("/api/v1/flows", LEVELS, content_type=YAML).status_code == 200
    execution_id = api.post("/api/v1/executions/acme/levels", {}, format="multipart").json()["id"]
    assert run_to_end(execution_id).state == "SUCCESS"
    stored = LogEntry.objects.filter(execution_id=execution_id).order_by("id")
    assert list(stored.values_list("task_id", "level", "message")) == [
        ("chatty", "DEBUG", "kept, as no logLevel is set"),
        ("warned", "WARN", "kept at its level"),
        ("warned", "WARN", "also kept"),
        ("script", "ERROR", "to stderr, an ERROR line"),
    ]


@pytest.mark.parametrize("level", ["LOUD", "info"])
def test_an_unknown_log_level_is_refused_naming_the_field(api, level):
    source = LEVELS.replace("logLevel: INFO", f"logLevel: {level}")
    body = assert_problem(api.post("/api/v1/flows", source, content_type=YAML), 422, "invalid-entity")
    assert [(error["path"], error["line"]) for error in body["errors"]] == [("tasks[0].logLevel", 8)]
