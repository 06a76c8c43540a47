"""What the follow endpoints answer before a stream starts: refusals, and the 204 of a stream with nothing
left. The streams themselves are read over HTTP in tests/e2e/test_follow_e2e.py."""

import pytest

from executions.log_cursor import LogCursor
from executions.models import LogEntry
from tests.api.drive import run_to_end

from .helpers import YAML, assert_problem, flow

FOLLOWS = ["/api/v1/executions/{}/follow", "/api/v1/main/logs/{}/follow"]


@pytest.fixture
def ended(api):
    assert api.post("/api/v1/flows", flow("said", "acme"), content_type=YAML).status_code == 200
    execution_id = api.post("/api/v1/executions/acme/said").json()["id"]
    run_to_end(execution_id)
    return execution_id


@pytest.mark.parametrize("path", FOLLOWS)
def test_a_stranger_is_asked_to_authenticate(anonymous, ended, path):
    response = anonymous.get(path.format(ended), HTTP_ACCEPT="text/event-stream")
    assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("path", FOLLOWS)
def test_an_execution_that_does_not_appear_is_not_found(api, settings, path):
    settings.FLOWHUB_FOLLOW_APPEAR_SECONDS = 0
    assert_problem(api.get(path.format("nosuchexecution"), HTTP_ACCEPT="text/event-stream"), 404, "not-found")


@pytest.mark.parametrize(
    ("path", "position"),
    [(FOLLOWS[0], "yesterday"), (FOLLOWS[0], "12.5"), (FOLLOWS[0], "-3"), (FOLLOWS[1], "yesterday"),
     (FOLLOWS[1], "12~"), (FOLLOWS[1], "12~9-3"), (FOLLOWS[1], "end")],
)  # fmt: skip
def test_a_position_from_no_such_stream_is_refused_naming_the_header(api, ended, path, position):
    body = assert_problem(api.get(path.format(ended), HTTP_LAST_EVENT_ID=position), 400, "invalid-header")
    assert body["errors"][0]["path"] == "Last-Event-ID"


def test_an_unknown_level_is_refused(api, ended):
    response = api.get(f"/api/v1/logs/{ended}/follow", {"minLevel": "LOUD"})
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "minLevel"


def test_a_stream_resumed_after_its_end_answers_no_content(api, ended):
    assert api.get(f"/api/v1/executions/{ended}/follow", HTTP_LAST_EVENT_ID="end").status_code == 204
    last = LogEntry.objects.filter(execution_id=ended).latest("pk")
    after_last = str(LogCursor(last.pk))
    assert api.get(f"/api/v1/logs/{ended}/follow", HTTP_LAST_EVENT_ID=after_last).status_code == 204
    warnings_only = {"minLevel": "WARN"}
    assert api.get(f"/api/v1/logs/{ended}/follow", warnings_only, HTTP_LAST_EVENT_ID="start").status_code == 204
