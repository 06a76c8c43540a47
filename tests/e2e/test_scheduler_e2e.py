"""Two schedulers (`celery beat`) against one PostgreSQL database for three minutes: a `* * * * *` schedule
starts one execution per minute, never two for one date, and each sees the date it was scheduled for.

The run lasts three minutes on purpose: that is what it checks."""

import time
from datetime import datetime, timedelta
from itertools import pairwise

import psycopg2
import pytest

from .conftest import REDIS_ONLY, stack_env, start_beat, start_web, start_worker
from .processes import kill_all, wait_until_healthy
from .quickstart import TERMINAL, Api

pytestmark = [pytest.mark.distributed, pytest.mark.long, REDIS_ONLY]

RUN_FOR = timedelta(minutes=3)
EVERY_MINUTE = """\
id: every_minute
namespace: acme.schedules
tasks:
  - id: seen
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.date }}"
triggers:
  - id: minutely
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * *"
"""


@pytest.fixture(scope="module")
def two_schedulers(broker_url, database_url, tmp_path_factory):
    """The web server, one worker and two schedulers on one database: (API, the schedulers)."""
    directory = tmp_path_factory.mktemp("schedulers")
    env = stack_env(directory, broker_url, database_url)
    web, base_url = start_web(env, directory / "web.log")
    worker = start_worker(env, directory / "worker.log")
    beats = [start_beat(env, directory, name) for name in ("beat-a", "beat-b")]
    try:
        wait_until_healthy(base_url, web, directory / "web.log")
        yield Api(base_url, "operator", "operator-pw"), beats
    finally:
        kill_all(web, worker, *beats)


def scheduled_execution_ids(database_url: str) -> list[str]:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM executions_execution WHERE flow_id = 'every_minute' ORDER BY created_at")
        return [row[0] for row in cursor.fetchall()]


def test_two_schedulers_start_one_execution_per_minute_that_sees_its_date(two_schedulers, database_url):
    api, beats = two_schedulers
    assert api.create_flow(EVERY_MINUTE).status_code == 200
    began = datetime.now().astimezone()
    time.sleep(RUN_FOR.total_seconds())
    stopped = api.session.post(f"{api.base}/triggers/acme.schedules/every_minute/disable")
    assert stopped.status_code == 200 and stopped.json()[0]["disabled"] is True
    ended = datetime.now().astimezone()

    executions = [
        api.wait_until(execution_id, lambda e: e["state"]["current"] in TERMINAL, "ended")
        for execution_id in scheduled_execution_ids(database_url)
    ]
    dates = [execution["trigger"]["variables"]["date"] for execution in executions]
    assert 2 <= len(dates) <= 4, dates  # three minute boundaries in three minutes, one more or less at the edges
    assert len(set(dates)) == len(dates), f"a date fired twice: {dates}"
    moments = sorted(datetime.fromisoformat(date) for date in dates)
    assert all(began < moment <= ended for moment in moments), (began, dates, ended)
    assert all(later - earlier == timedelta(minutes=1) for earlier, later in pairwise(moments))
    for execution in executions:
        assert execution["state"]["current"] == "SUCCESS"
        assert execution["trigger"]["id"] == "minutely"
        assert execution["taskRunList"][0]["outputs"] == {"value": execution["trigger"]["variables"]["date"]}
        assert {"key": "system.from", "value": "trigger"} in execution["labels"]
    assert [beat.poll() for beat in beats] == [None, None]  # both schedulers ran all along
