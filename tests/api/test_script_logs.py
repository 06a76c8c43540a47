"""Log lines are stored in batches with their task run, attempt, level and time, while the task runs, and
within a byte budget per attempt."""

import pytest
from django.utils import timezone

from executions.logsink import FLUSH_LINES, FLUSH_SECONDS, BufferedLogSink
from executions.models import LogEntry, TaskRun
from tests.api.drive import run_to_end

from .helpers import RUNS_TASKS_ON_THIS_PROCESS, YAML
from .test_runnable_tasks_flows import run

pytestmark = RUNS_TASKS_ON_THIS_PROCESS

MARKERS = """\
id: chatty
namespace: acme
tasks:
  - id: talk
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import json, sys
      for i in range(1200):
          print(f"line {i}")
      logs = [{"level": "WARN", "message": "careful"}, {"level": "DEBUG", "message": "d"}]
      print("::" + json.dumps({"logs": logs}) + "::")
      metrics = [{"name": "n", "type": "counter", "value": 1}]
      print("::" + json.dumps({"outputs": {"done": True}, "metrics": metrics}) + "::")
      print("oops", file=sys.stderr)
"""


def test_every_line_is_stored_with_its_run_attempt_level_and_time(api):
    before = timezone.now()
    execution, outputs, _ = run(api, MARKERS)
    assert execution.state == "SUCCESS"
    assert outputs["talk"]["vars"] == {"done": True}
    talk = TaskRun.objects.get(execution=execution)
    lines = list(LogEntry.objects.filter(execution=execution).order_by("id"))
    assert {(line.task_run_id, line.task_id, line.attempt) for line in lines} == {(talk.id, "talk", 1)}
    assert all(before <= line.timestamp <= timezone.now() for line in lines)
    messages = [(line.level, line.message) for line in lines]
    numbered = [message for message in messages if message[1].startswith("line ")]
    assert numbered == [("INFO", f"line {i}") for i in range(1200)]  # stdout in order; stderr may come between
    assert sorted(message for message in messages if message not in numbered) == [
        ("DEBUG", "d"),
        ("ERROR", "oops"),
        ("WARN", "careful"),
    ]


def test_the_api_filters_them_by_level(api):
    execution, _, _ = run(api, MARKERS)
    warned = api.get(f"/api/v1/logs/{execution.id}", {"minLevel": "WARN"}).json()
    assert sorted((line["level"], line["message"], line["attemptNumber"]) for line in warned) == [
        ("ERROR", "oops", 1),
        ("WARN", "careful", 1),
    ]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def talk_run(api) -> TaskRun:
    assert api.post("/api/v1/flows", MARKERS, content_type=YAML).status_code == 200
    execution_id = api.post("/api/v1/executions/acme/chatty", {}, format="multipart").json()["id"]
    run_to_end(execution_id)
    LogEntry.objects.all().delete()
    return TaskRun.objects.get(execution_id=execution_id)


def test_lines_are_stored_once_a_second_has_passed_or_a_batch_is_full(talk_run):
    clock = Clock()
    sink = BufferedLogSink(talk_run.execution, talk_run, clock=clock)
    sink.emit("INFO", "first")
    sink.flush_if_due()
    assert not LogEntry.objects.exists()
    clock.now += FLUSH_SECONDS
    sink.flush_if_due()
    assert list(LogEntry.objects.values_list("message", flat=True)) == ["first"]
    for index in range(FLUSH_LINES):
        sink.emit("INFO", f"line {index}")
    assert LogEntry.objects.count() == 1 + FLUSH_LINES  # a full batch went without waiting
    sink.emit("INFO", "held")
    clock.now += FLUSH_SECONDS
    sink.emit("INFO", "with the next")
    assert LogEntry.objects.count() == 3 + FLUSH_LINES


FLOOD = """\
id: flood
namespace: acme
tasks:
  - id: spew
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - yes 'a flood of output that nobody reads' | head -n 50000
      - exit 3
"""


def test_a_flood_is_cut_at_the_budget_and_the_failure_is_still_told(api, settings):
    settings.FLOWHUB_MAX_LOG_BYTES_PER_RUN = 4096
    execution, _, logs = run(api, FLOOD)
    assert execution.state == "FAILED"
    stored = [message for _, _, message in logs]
    warnings = [message for _, level, message in logs if level == "WARN"]
    assert warnings == ["log output truncated: more than 4096 bytes; later lines are dropped"]
    assert sum(len(message) for message in stored[:-2]) <= 4096
    assert stored[-1] == "Command failed with exit code 3"
    assert len(stored) < 200
