"""A flow's concurrency limit with real processes: executions beyond it queue and run one after the other."""

from datetime import datetime
from itertools import pairwise

import pytest

from .conftest import REDIS_ONLY

pytestmark = [pytest.mark.distributed, REDIS_ONLY]

ONE_AT_A_TIME = """\
id: one-at-a-time
namespace: acme
concurrency:
  limit: 1
  behavior: QUEUE
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1S
"""


def running_span(execution: dict) -> tuple[datetime, datetime]:
    """When the execution started RUNNING and when it ended, from its state history."""
    histories = execution["state"]["histories"]
    started = next(entry["date"] for entry in histories if entry["state"] == "RUNNING")
    return datetime.fromisoformat(started), datetime.fromisoformat(histories[-1]["date"])


def test_a_limit_of_one_runs_executions_triggered_together_one_after_the_other(stack):
    api, _ = stack
    assert api.create_flow(ONE_AT_A_TIME).status_code == 200
    triggered = [api.trigger("acme", "one-at-a-time") for _ in range(3)]
    assert [response.status_code for response in triggered] == [200] * 3
    executions = [api.wait_for_end(response.json()["id"], timeout=60) for response in triggered]
    assert [execution["state"]["current"] for execution in executions] == ["SUCCESS"] * 3
    states = [[entry["state"] for entry in execution["state"]["histories"]] for execution in executions]
    assert ["CREATED", "QUEUED", "RUNNING", "SUCCESS"] in states  # triggered while another ran its second
    spans = sorted(running_span(execution) for execution in executions)
    for (_, earlier_end), (later_start, _) in pairwise(spans):
        assert earlier_end <= later_start
