"""Health, the OpenAPI schema and its UIs, the admin pages, and the stalled-work sweep."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from executions import executor, recovery
from executions.models import Execution, TaskRun
from flowhub.celery import app as celery_app
from tests.engine.flows import HELLO

from .drive import run_to_end


def test_health_reports_each_dependency(anonymous, db):
    response = anonymous.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "up" and body["version"] == "0.1.0" and body["uptime_seconds"] >= 0
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "up",
        "broker": "up",
        "storage": "up",
    }


def test_health_is_503_when_the_broker_is_unreachable(anonymous, db, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = anonymous.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down" and body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["broker"]["error"]


def test_schema_documents_each_operation_once_with_a_readable_id(anonymous):
    response = anonymous.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    operation_ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert {"createFlow", "getFlow", "updateFlow", "createExecution", "getExecution", "listLogsFromExecution"} <= set(
        operation_ids
    )
    assert all(path.startswith(("/api/v1/main/", "/health", "/metrics")) for path in schema["paths"])


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_pages_are_served_without_external_assets(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 200
    assert b"cdn.jsdelivr.net" not in response.content


@pytest.fixture
def admin_client_logged_in(db):
    get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client = Client()
    client.login(username="root", password="pw-for-tests")
    return client


def test_admin_lists_and_shows_flows_and_executions(api, admin_client_logged_in):
    api.post("/api/v1/flows", HELLO, content_type="application/x-yaml")
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    run_to_end(execution_id)
    for path in [
        "/admin/",
        "/admin/namespaces/flow/",
        "/admin/namespaces/namespace/",
        "/admin/namespaces/flowrevision/",
        "/admin/executions/execution/?state__exact=SUCCESS",
        "/admin/executions/taskrun/",
        "/admin/executions/logentry/?q=Hello",
        f"/admin/executions/execution/{execution_id}/change/",
    ]:
        response = admin_client_logged_in.get(path)
        assert response.status_code == 200, path
    page = admin_client_logged_in.get(f"/admin/executions/execution/{execution_id}/change/").content.decode()
    assert "Hello, world!" in page and "answer" in page
    assert "SUCCESS at " in page  # the state history, one line per transition
    assert "&quot;state&quot;" not in page  # and not its raw JSON as well
    assert "Attempt number" in page and "Parent task run" in page


def test_sweep_resends_only_work_left_unclaimed_for_30_seconds(api):
    api.post("/api/v1/flows", HELLO, content_type="application/x-yaml")
    stale = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    fresh = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=stale)
    long_ago = timezone.now() - timedelta(minutes=5)
    TaskRun.objects.filter(execution_id=stale).update(created_at=long_ago)
    Execution.objects.filter(pk=fresh).update(updated_at=long_ago)
    assert recovery.executions_sweep() == {
        "task_runs": 1,
        "executions": 1,
        "queued": 0,
        "pauses": 0,
        "subflows": 0,
        "flow_retries": 0,
    }
    Execution.objects.filter(pk=stale).update(updated_at=long_ago)
    # stale has a CREATED run: not idle
    assert recovery.executions_sweep() == {
        "task_runs": 1,
        "executions": 1,
        "queued": 0,
        "pauses": 0,
        "subflows": 0,
        "flow_retries": 0,
    }
