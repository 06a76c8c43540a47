"""`GET /stats/executions`: counts by state, success rate and average duration over a window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from executions.models import Execution
from tests.engine.flows import HELLO

from .drive import run_to_end
from .helpers import YAML, assert_problem

FAILING = "id: broken\nnamespace: acme.sales\ntasks:\n  - id: boom\n    type: io.kestra.plugin.core.execution.Fail\n"
OTHER = HELLO.replace("namespace: acme.sales", "namespace: acmeother")


def start(api, namespace: str, flow_id: str) -> str:
    return api.post(f"/api/v1/executions/{namespace}/{flow_id}", {}, format="multipart").json()["id"]


def seconds(execution_id: str) -> float:
    execution = Execution.objects.get(pk=execution_id)
    return (execution.ended_at - execution.created_at).total_seconds()


@pytest.fixture
def history(api) -> dict[str, list[str]]:
    """Two successes and a failure of acme.sales today, one waiting, one success of acmeother, and one
    success of acme.sales two days ago."""
    for source in (HELLO, FAILING, OTHER):
        api.post("/api/v1/flows", source, content_type=YAML)
    runs = {
        "succeeded": [run_to_end(start(api, "acme.sales", "hello")).id for _ in range(2)],
        "failed": [run_to_end(start(api, "acme.sales", "broken")).id],
        "waiting": [start(api, "acme.sales", "hello")],
        "other": [run_to_end(start(api, "acmeother", "hello")).id],
        "old": [run_to_end(start(api, "acme.sales", "hello")).id],
    }
    two_days = timedelta(days=2)
    old = Execution.objects.get(pk=runs["old"][0])
    Execution.objects.filter(pk=old.pk).update(created_at=old.created_at - two_days, ended_at=old.ended_at - two_days)
    return runs


def test_the_last_day_of_a_namespace_prefix(api, history):
    body = api.get("/api/v1/stats/executions", {"namespace": "acme.sales"}).json()
    assert body["countsByState"] == {"SUCCESS": 2, "FAILED": 1, "CREATED": 1}
    assert (body["total"], body["finished"], body["namespace"]) == (4, 3, "acme.sales")
    assert body["successRate"] == pytest.approx(2 / 3)
    finished = history["succeeded"] + history["failed"]
    average = sum(seconds(execution_id) for execution_id in finished) / len(finished)
    assert body["averageDurationSeconds"] == pytest.approx(average, abs=1e-5)
    assert body["startDate"].endswith("Z") and body["endDate"].endswith("Z")


def test_the_prefix_is_dot_aware_and_a_flow_narrows_it(api, history):
    acme = api.get("/api/v1/main/stats/executions", {"namespace": "acme"}).json()
    assert acme["total"] == 4  # acme.sales, not acmeother
    everything = api.get("/api/v1/stats/executions").json()
    assert everything["total"] == 5 and everything["countsByState"]["SUCCESS"] == 3
    broken = api.get("/api/v1/stats/executions", {"flowId": "broken"}).json()
    assert (broken["countsByState"], broken["successRate"], broken["flowId"]) == ({"FAILED": 1}, 0.0, "broken")


def test_a_wider_time_range_or_explicit_dates_take_older_executions_in(api, history):
    three_days = api.get("/api/v1/stats/executions", {"timeRange": "P3D", "namespace": "acme.sales"}).json()
    assert three_days["countsByState"] == {"SUCCESS": 3, "FAILED": 1, "CREATED": 1}
    old = Execution.objects.get(pk=history["old"][0])
    window = {
        "startDate": (old.created_at - timedelta(seconds=1)).isoformat(),
        "endDate": (old.created_at + timedelta(hours=1)).isoformat(),
    }
    only_old = api.get("/api/v1/stats/executions", window).json()
    assert (only_old["total"], only_old["successRate"]) == (1, 1.0)
    assert only_old["averageDurationSeconds"] == pytest.approx(seconds(old.id), abs=1e-5)


def test_a_window_with_nothing_finished_has_no_rate_and_no_average(api, history):
    now = timezone.now()
    window = {"startDate": (now + timedelta(hours=1)).isoformat(), "endDate": (now + timedelta(hours=2)).isoformat()}
    body = api.get("/api/v1/stats/executions", window).json()
    assert body["total"] == 0 and body["countsByState"] == {} and body["finished"] == 0
    assert "successRate" not in body and "averageDurationSeconds" not in body


@pytest.mark.parametrize(
    ("params", "path", "detail"),
    [
        ({"timeRange": "a while"}, "timeRange", "ISO-8601 duration"),
        ({"timeRange": "PT0S"}, "timeRange", "positive"),
        ({"timeRange": "P1D", "startDate": "2024-05-01T00:00:00Z"}, "timeRange", "not both"),
        ({"startDate": "yesterday"}, "startDate", "ISO-8601 date-time"),
        ({"endDate": "2024-05-01T10:00:00"}, "endDate", "time zone"),
        ({"startDate": "2024-05-02T00:00:00Z", "endDate": "2024-05-01T00:00:00Z"}, "startDate", "before endDate"),
        ({"namespace": "Acme Sales"}, "namespace", "lower-case"),
    ],
)
def test_bad_parameters_are_422_naming_each(api, params, path, detail):
    body = assert_problem(api.get("/api/v1/stats/executions", params), 422, "validation-failed")
    (error,) = body["errors"]
    assert error["path"] == path and detail in error["detail"], error


def test_stats_need_authentication(anonymous, db):
    assert_problem(anonymous.get("/api/v1/stats/executions"), 401, "unauthenticated")
