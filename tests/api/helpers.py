"""Helpers shared by the API tests."""

import pytest

YAML = "application/x-yaml"


def assert_problem(response, status, slug):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["type"]) == (status, slug)
    assert body["traceId"] == response["X-Request-ID"]
    assert body["title"] and body["detail"] and body["instance"]
    return body


def flow(flow_id: str, namespace: str, labels: str = "") -> str:
    return (
        f"id: {flow_id}\nnamespace: {namespace}\n{labels}"
        "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def nothing_else_swept(**counts: int) -> dict[str, int]:
    """What `executions_sweep()` answers when it did only `counts`."""
    return {"task_runs": 0, "executions": 0, "queued": 0, "pauses": 0, "subflows": 0, "flow_retries": 0, **counts}


RUNS_TASKS_ON_THIS_PROCESS = pytest.mark.django_db(transaction=True)
"""For tests whose scripts or sleeps run in the test's own process and may outlast a second on a loaded
machine: the heartbeat thread, on a connection of its own, sees only committed rows, and inside the test's
uncommitted transaction it would find the run not RUNNING and stop it as killed."""
