"""Log lines as a text file, deleted, and searched across executions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from executions import selectors
from executions.models import Execution, LogEntry
from tests.engine.flows import HELLO

from .clients import error_paths, member
from .drive import run_to_end
from .helpers import YAML, assert_problem

NOISY = """\
id: noisy
namespace: acme.ops
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: "line one\\nline two"
  - id: warn
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: careful
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: broken
"""


@pytest.fixture
def noisy(api) -> str:
    """An execution of acme.ops/noisy that failed: an INFO, a WARN and an ERROR line."""
    api.post("/api/v1/flows", NOISY, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.ops/noisy", {}, format="multipart").json()["id"]
    assert run_to_end(execution_id).state == "FAILED"
    return execution_id


def download(api, path: str, **headers):
    response = api.get(path, **headers)
    assert response.status_code == 200, response.content
    return response, b"".join(response.streaming_content).decode()


def test_download_is_a_text_attachment_of_one_formatted_line_per_entry(api, noisy):
    response, text = download(api, f"/api/v1/main/logs/{noisy}/download", HTTP_ACCEPT="text/plain")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{noisy}.log"'
    assert "Cache-Control" not in response  # it has ended: the file will not change
    entries = list(LogEntry.objects.filter(execution_id=noisy).order_by("timestamp", "id"))
    stamps = [entry.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for entry in entries]
    assert text == (
        f"{stamps[0]} INFO  [first] line one\nline two\n"
        f"{stamps[1]} WARN  [warn] careful\n"
        f"{stamps[2]} ERROR [fail] {entries[2].message}\n"
    )


def test_download_takes_the_list_s_filters(api, noisy):
    _, text = download(api, f"/api/v1/logs/{noisy}/download?minLevel=WARN")
    assert [line.split(" ", 2)[1] for line in text.splitlines()] == ["WARN", "ERROR"]
    _, text = download(api, f"/api/v1/logs/{noisy}/download?taskId=warn")
    assert text.endswith(" WARN  [warn] careful\n") and text.count("\n") == 1
    _, text = download(api, f"/api/v1/logs/{noisy}/download?attempt=9")
    assert text == ""


def test_the_download_of_an_execution_that_runs_is_not_cached(api):
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    response, text = download(api, f"/api/v1/logs/{execution_id}/download")
    assert (response["Cache-Control"], text) == ("no-cache", "")


def test_bad_download_requests(api, noisy):
    assert_problem(api.get("/api/v1/logs/nope/download"), 404, "not-found")
    assert_problem(api.get(f"/api/v1/logs/{noisy}/download?minLevel=LOUD"), 400, "invalid-query-parameter")


def test_lines_are_read_in_batches_in_order_even_when_their_times_are_equal(noisy):
    execution = Execution.objects.get(pk=noisy)
    moment = timezone.now()
    LogEntry.objects.bulk_create(
        LogEntry(execution=execution, level="INFO", message=f"same {n}", timestamp=moment) for n in range(5)
    )
    logs = LogEntry.objects.filter(execution=execution)
    batches = list(selectors.log_batches(logs=logs, size=2))
    assert [len(batch) for batch in batches] == [2, 2, 2, 2]
    assert [entry.id for batch in batches for entry in batch] == list(
        logs.order_by("timestamp", "id").values_list("id", flat=True)
    )


def test_delete_removes_the_lines_the_filters_select(api, noisy):
    assert api.delete(f"/api/v1/logs/{noisy}?taskId=warn").json() == {"count": 1}
    assert [log["taskId"] for log in api.get(f"/api/v1/logs/{noisy}").json()] == ["first", "fail"]
    assert api.delete(f"/api/v1/main/logs/{noisy}?minLevel=ERROR").json() == {"count": 1}
    assert api.delete(f"/api/v1/logs/{noisy}").json() == {"count": 1}
    assert api.get(f"/api/v1/logs/{noisy}").json() == []
    assert Execution.objects.filter(pk=noisy).exists()
    assert_problem(api.delete("/api/v1/logs/nope"), 404, "not-found")
    assert_problem(api.delete(f"/api/v1/logs/{noisy}?attempt=-1"), 400, "invalid-query-parameter")


HOOKED = (
    NOISY.replace("id: noisy", "id: hooked", 1)
    + """\
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: hooked-key
"""
)


def test_delete_by_flow_removes_its_executions_lines_or_those_its_trigger_started(api, anonymous, noisy, owner):
    assert api.post("/api/v1/flows", HOOKED, content_type=YAML).status_code == 200
    by_hand = api.post("/api/v1/executions/acme.ops/hooked", {}, format="multipart").json()["id"]
    by_hook = anonymous.post("/api/v1/executions/webhook/acme.ops/hooked/hooked-key").json()["id"]
    for execution_id in (by_hand, by_hook):
        assert run_to_end(execution_id).state == "FAILED"

    response = api.delete("/api/v1/main/logs/acme.ops/hooked?triggerId=hook")

    assert response.json() == {"count": 3}
    lines = dict.fromkeys(LogEntry.objects.values_list("execution_id", flat=True))
    assert list(lines) == [noisy, by_hand]
    assert api.delete("/api/v1/logs/acme.ops/hooked?triggerId=nightly").json() == {"count": 0}
    assert api.delete("/api/v1/logs/acme.ops/hooked").json() == {"count": 3}
    assert set(LogEntry.objects.values_list("execution_id", flat=True)) == {noisy}, "another flow's lines stay"
    assert Execution.objects.filter(pk__in=[by_hand, by_hook]).count() == 2
    entries = AuditEntry.objects.filter(action="logs.delete").order_by("at")
    assert [(entry.namespace, entry.target, entry.detail) for entry in entries] == [
        ("acme.ops", "hooked", {"count": 3, "trigger": "hook"}),
        ("acme.ops", "hooked", {"count": 0, "trigger": "nightly"}),
        ("acme.ops", "hooked", {"count": 3, "trigger": None}),
    ]
    assert {entry.actor for entry in entries} == {owner}


def test_delete_by_flow_of_an_unknown_flow_deletes_nothing_and_checks_its_parameters(api, noisy):
    assert api.delete("/api/v1/logs/acme.ops/ghost").json() == {"count": 0}
    bad = api.delete(f"/api/v1/logs/acme.ops/noisy?triggerId={'x' * 101}")
    assert_problem(bad, 400, "invalid-query-parameter")
    assert error_paths(bad) == ["triggerId"]
    assert LogEntry.objects.count() == 3


def test_delete_by_flow_needs_the_editor_role_there(api, noisy):
    path = "/api/v1/logs/acme.ops/noisy"
    assert_problem(member("ada", {"acme.ops": "executor"}).delete(path), 403, "forbidden")
    assert_problem(member("outsider", {"acme.other": "editor"}).delete(path), 404, "not-found")
    assert LogEntry.objects.count() == 3
    assert member("eve", {"acme": "editor"}).delete(path).json() == {"count": 3}


@pytest.fixture
def two_flows(api, noisy) -> tuple[str, str]:
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    hello = api.post("/api/v1/executions/acme.sales/hello", {"name": "Ada"}, format="multipart").json()["id"]
    run_to_end(hello)
    LogEntry.objects.filter(execution_id=hello).update(timestamp=timezone.now() - timedelta(days=2))
    return noisy, hello


def messages(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [log["message"] for log in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=timestamp:asc", ["Hello, Ada!", "line one\nline two", "careful", "ERROR"]),
        ("", ["ERROR", "careful", "line one\nline two", "Hello, Ada!"]),
        ("filters[level][GREATER_THAN_OR_EQUAL_TO]=WARN&sort=timestamp:asc", ["careful", "ERROR"]),
        ("minLevel=ERROR", ["ERROR"]),
        ("filters[level][IN]=INFO,WARN&sort=timestamp:asc", ["Hello, Ada!", "line one\nline two", "careful"]),
        ("namespace=acme.sales", ["Hello, Ada!"]),
        ("filters[namespace][PREFIX]=acme&filters[flowId][EQUALS]=noisy&q=care", ["careful"]),
        ("filters[taskId][EQUALS]=greet", ["Hello, Ada!"]),
        ("filters[timeRange][EQUALS]=PT1H&sort=timestamp:asc", ["line one\nline two", "careful", "ERROR"]),
        ("filters[endDate][LESS_THAN]={yesterday}", ["Hello, Ada!"]),
    ],
)
def test_search_finds_lines_across_executions(api, two_flows, query, expected):
    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = messages(api.get(f"/api/v1/logs/search?{query.format(yesterday=yesterday)}"))
    assert ["ERROR" if "broken" in message else message for message in found] == expected  # the Fail task's line


def test_search_pages_and_scopes_by_execution(api, two_flows):
    noisy, _ = two_flows
    response = api.get(f"/api/v1/logs/search?filters[executionId][EQUALS]={noisy}&size=2&sort=timestamp:asc")
    assert messages(response) == ["line one\nline two", "careful"]
    assert response.json()["total"] == 3 and response["X-Total-Count"] == "3"
    assert {log["executionId"] for log in response.json()["results"]} == {noisy}
    assert 'rel="next"' in response["Link"]


@pytest.mark.parametrize(
    ("query", "status", "slug"),
    [
        ("minLevel=LOUD", 422, "validation-failed"),
        ("filters[level][GREATER_THAN_OR_EQUAL_TO]=LOUD", 422, "validation-failed"),
        ("startDate=yesterday", 422, "validation-failed"),
        ("sort=level:asc", 422, "invalid-sort"),
        ("filters[state][EQUALS]=SUCCESS", 400, "invalid-query-filters"),
        ("size=0", 400, "invalid-query-parameter"),
    ],
)
def test_bad_search_parameters(api, two_flows, query, status, slug):
    assert_problem(api.get(f"/api/v1/logs/search?{query}"), status, slug)
