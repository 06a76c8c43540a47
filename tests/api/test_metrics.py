"""`/metrics`: Prometheus exposition read back with prometheus_client's own parsers."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from executions import executor
from executions.models import Execution, TaskRun
from executions.transitions import task_run_transition
from flowhub.engine.states import State
from notifications.models import Delivery
from tests.engine.flows import HELLO

from .drive import run_to_end
from .helpers import YAML, assert_problem

FAILING = "id: broken\nnamespace: acme.ops\ntasks:\n  - id: boom\n    type: io.kestra.plugin.core.execution.Fail\n"


def samples(text: str, parse=text_string_to_metric_families) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in parse(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def start(api, namespace: str, flow_id: str) -> str:
    return api.post(f"/api/v1/executions/{namespace}/{flow_id}", {}, format="multipart").json()["id"]


@pytest.fixture
def activity(api) -> dict[str, str]:
    """Executions in every kind of state, a worker on one of them, and deliveries of each status."""
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    api.post("/api/v1/flows", FAILING, content_type=YAML)
    api.post(
        "/api/v1/notifications", {"url": "https://hooks.example.com", "events": ["execution.created"]}, format="json"
    )
    done = run_to_end(start(api, "acme.sales", "hello"))
    failed = run_to_end(start(api, "acme.ops", "broken"))
    running, waiting, created = (start(api, "acme.sales", "hello") for _ in range(3))
    executor.execution_advance(execution_id=running)
    executor.execution_advance(execution_id=waiting)
    run = TaskRun.objects.get(execution_id=running)
    beat = timezone.now() - timedelta(seconds=5)
    task_run_transition(run, State.RUNNING, worker_id="host-a:42", started_at=beat, heartbeat_at=beat, attempt=1)
    answer = TaskRun.objects.get(execution_id=done.id, task_id="answer")
    TaskRun.objects.filter(pk=answer.pk).update(started_at=answer.ended_at - timedelta(seconds=42))
    first, second = Delivery.objects.order_by("created_at")[:2]
    Delivery.objects.filter(pk=first.pk).update(status="DELIVERED", ended_at=timezone.now())
    Delivery.objects.filter(pk=second.pk).update(status="FAILED", ended_at=timezone.now())
    return {"done": done.id, "failed": failed.id, "running": running, "waiting": waiting, "created": created}


def test_the_exposition_counts_executions_task_runs_workers_and_deliveries(api, activity):
    response = api.get("/metrics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(response.content.decode())

    assert value(found, "flowhub_executions", namespace="acme.sales", state="SUCCESS") == 1
    assert value(found, "flowhub_executions", namespace="acme.sales", state="RUNNING") == 2
    assert value(found, "flowhub_executions", namespace="acme.sales", state="CREATED") == 1
    assert value(found, "flowhub_executions", namespace="acme.ops", state="FAILED") == 1
    assert sum(count for (name, _), count in found.items() if name == "flowhub_executions") == 5
    assert value(found, "flowhub_executions_ended", namespace="acme.sales", state="SUCCESS") == 1
    assert value(found, "flowhub_executions_ended", namespace="acme.ops", state="FAILED") == 1

    histogram = "flowhub_task_run_duration_seconds_bucket"
    assert value(found, histogram, namespace="acme.sales", state="SUCCESS", le="+Inf") == 2
    assert value(found, histogram, namespace="acme.sales", state="SUCCESS", le="60.0") == 2
    assert value(found, histogram, namespace="acme.sales", state="SUCCESS", le="30.0") == 1  # `answer` took 42 s
    assert value(found, histogram, namespace="acme.ops", state="FAILED", le="+Inf") == 1
    assert value(found, "flowhub_task_run_duration_seconds_gcount", namespace="acme.sales", state="SUCCESS") == 2
    assert value(found, "flowhub_task_run_duration_seconds_gsum", namespace="acme.sales", state="SUCCESS") >= 42

    assert value(found, "flowhub_task_runs_waiting", state="CREATED") == 1
    assert value(found, "flowhub_worker_running_task_runs", worker="host-a:42") == 1
    assert value(found, "flowhub_worker_heartbeat_age_seconds", worker="host-a:42") >= 5

    assert value(found, "flowhub_notification_deliveries", status="PENDING") == 3
    assert value(found, "flowhub_notification_deliveries", status="DELIVERED") == 1
    assert value(found, "flowhub_notification_deliveries", status="FAILED") == 1
    assert value(found, "flowhub_notification_oldest_pending_seconds") >= 0


def test_the_window_leaves_out_what_ended_before_it(api, activity):
    long_ago = timezone.now() - timedelta(hours=1)
    Execution.objects.filter(pk=activity["failed"]).update(ended_at=long_ago, updated_at=long_ago)
    TaskRun.objects.filter(execution_id=activity["failed"]).update(ended_at=long_ago)
    found = samples(api.get("/metrics").content.decode())
    assert value(found, "flowhub_executions", namespace="acme.ops", state="FAILED") == 1  # still stored
    assert ("flowhub_executions_ended", frozenset({"namespace": "acme.ops", "state": "FAILED"}.items())) not in found
    assert not any(dict(labels).get("namespace") == "acme.ops" for (name, labels) in found if "task_run" in name)


def test_an_empty_server_answers_zero_deliveries_and_no_series_of_executions(api):
    found = samples(api.get("/metrics").content.decode())
    assert value(found, "flowhub_notification_deliveries", status="PENDING") == 0
    assert value(found, "flowhub_notification_oldest_pending_seconds") == 0
    assert not any(name.startswith("flowhub_executions") for name, _ in found)


def test_openmetrics_is_answered_to_who_asks_for_it(api, activity):
    response = api.get("/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")
    assert response["Content-Type"].startswith("application/openmetrics-text")
    found = samples(response.content.decode(), openmetrics_families)
    assert value(found, "flowhub_executions", namespace="acme.sales", state="SUCCESS") == 1
    assert value(found, "flowhub_task_run_duration_seconds_gcount", namespace="acme.ops", state="FAILED") == 1


def test_a_scrape_costs_the_same_few_queries_however_much_is_stored(api, activity, django_assert_num_queries):
    api.get("/metrics")  # the credentials are verified once, then remembered
    # The user, then executions by state, ended in the window, task-run durations, waiting runs, workers,
    # deliveries by status, the oldest pending one.
    with django_assert_num_queries(8):
        assert api.get("/metrics").status_code == 200
    for _ in range(3):
        run_to_end(start(api, "acme.sales", "hello"))
    with django_assert_num_queries(8):
        assert api.get("/metrics").status_code == 200


def test_metrics_take_the_apis_authentication_unless_made_public(anonymous, db):
    assert_problem(anonymous.get("/metrics"), 401, "unauthenticated")
    with override_settings(FLOWHUB_METRICS_PUBLIC=True):
        response = anonymous.get("/metrics")
    assert response.status_code == 200
    assert ("flowhub_notification_deliveries", frozenset({"status": "PENDING"}.items())) in samples(
        response.content.decode()
    )
