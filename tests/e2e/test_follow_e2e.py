"""Live streams over real HTTP: `manage.py serve` (uvicorn, a celery worker) on PostgreSQL, read as a browser would."""

import asyncio
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg2
import pytest

from .conftest import EMBEDDED_ADMIN, fresh_database, process_number, require
from .processes import serving
from .quickstart import Api
from .sse import Event, events, read_to_end

CHATTY = """\
id: chatty
namespace: acme.streams
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: ["one", "two", "three"]
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT3S
  - id: warn
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: ["four", "five"]
  - id: answer
    type: io.kestra.plugin.core.debug.Return
    format: done
"""

QUICK = """\
id: quick
namespace: acme.streams
tasks:
  - id: chat
    type: io.kestra.plugin.core.log.Log
    message: ["info one", "info two"]
  - id: alarm
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: "warn one"
"""

GATED = """\
id: gated
namespace: acme.streams
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: ["one", "two", "three"]
  - id: gate
    type: io.kestra.plugin.core.flow.Pause
  - id: bye
    type: io.kestra.plugin.core.log.Log
    message: ["four", "five"]
"""

TIMEOUT = httpx.Timeout(30.0)

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`manage.py serve` on a PostgreSQL database of its own: its base URL, API and database URL.

    Connections close at the end of each request (`DATABASE_CONN_MAX_AGE=0`), so that any connection an
    open stream kept would show in pg_stat_activity."""
    require("PostgreSQL")
    settings = {"DATABASE_CONN_MAX_AGE": "0", "FLOWHUB_FOLLOW_APPEAR_SECONDS": "1"}
    with (
        fresh_database(f"flowhub_follow_{process_number()}") as database_url,
        serving(tmp_path_factory.mktemp("follow"), EMBEDDED_ADMIN, DATABASE_URL=database_url, **settings) as served,
    ):
        api = Api(served[1], *EMBEDDED_ADMIN)
        for source in (CHATTY, QUICK, GATED):
            assert api.create_flow(source).status_code == 200
        yield served[1], api, database_url


def client(base_url: str, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=f"{base_url}/api/v1/main", auth=EMBEDDED_ADMIN, timeout=TIMEOUT, headers=headers)


def read(base_url: str, path: str, *, stop_after: int | None = None, **headers: str) -> list[Event]:
    """A stream's events until it closes, or only the first `stop_after` (then it hangs up)."""
    with client(base_url, Accept="text/event-stream", **headers) as http, http.stream("GET", path) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        received = []
        for event in events(response.iter_lines()):
            received.append(event)
            if len(received) == stop_after:
                break
        return received


def follow_with_a_reconnect(base_url: str, path: str, hang_up_after: int) -> tuple[list[Event], list[Event]]:
    first = read(base_url, path, stop_after=hang_up_after)
    return first, read(base_url, path, **{"Last-Event-ID": first[-1].id})


def is_prefix(earlier: list, later: list) -> bool:
    return later[: len(earlier)] == earlier


def test_a_follower_sees_every_state_and_line_in_order_and_resumes_without_loss(server):
    base_url, api, _ = server
    execution_id = api.trigger("acme.streams", "chatty").json()["id"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        states = pool.submit(follow_with_a_reconnect, base_url, f"/executions/{execution_id}/follow", 2)
        lines = pool.submit(follow_with_a_reconnect, base_url, f"/logs/{execution_id}/follow", 3)
        (before, after), (lines_before, lines_after) = states.result(timeout=60), lines.result(timeout=60)
    final = api.execution(execution_id)
    assert final["state"]["current"] == "SUCCESS"

    # The execution: start, its JSON at each change (one connection cut after the first), end.
    assert before[0] == Event("start", {"id": execution_id})
    assert after[-1].id == "end"
    assert after[-1].data["state"]["histories"] == final["state"]["histories"]
    assert [run["state"]["histories"] for run in after[-1].data["taskRunList"]] == [
        run["state"]["histories"] for run in final["taskRunList"]
    ]
    progress = before[1:] + after[:-1]
    assert "start" not in [event.id for event in after], "a resumed stream does not start again"
    positions = [int(event.id) for event in progress]
    assert positions == sorted(set(positions)), "progress ids only grow: nothing is sent twice"
    snapshots = [event.data for event in [*progress, after[-1]]]
    for earlier, later in itertools.pairwise(snapshots):
        assert is_prefix(earlier["state"]["histories"], later["state"]["histories"])
        later_runs = {run["id"]: run for run in later["taskRunList"]}
        for run in earlier["taskRunList"]:
            assert is_prefix(run["state"]["histories"], later_runs[run["id"]]["state"]["histories"])
    assert [entry["state"] for entry in snapshots[-1]["state"]["histories"]] == ["CREATED", "RUNNING", "SUCCESS"]
    seen = {(run["taskId"], run["state"]["current"]) for snapshot in snapshots for run in snapshot["taskRunList"]}
    assert ("nap", "RUNNING") in seen, "a task run's change is an event of its own"
    assert "RUNNING" in {snapshot["state"]["current"] for snapshot in snapshots}

    # The log lines: start, then each line once, in order, across the reconnect.
    assert lines_before[0] == Event("start", {})
    streamed = [event.data for event in lines_before[1:] + lines_after]
    assert [line["message"] for line in streamed] == ["one", "two", "three", "four", "five"]
    assert [line["message"] for line in api.logs(execution_id)] == ["one", "two", "three", "four", "five"]
    assert {(line["executionId"], line["tenantId"]) for line in streamed} == {(execution_id, "main")}
    assert [line["taskId"] for line in streamed] == ["hello"] * 3 + ["warn"] * 2


def test_an_ended_execution_streams_start_then_end_and_its_lines_then_nothing_more(server):
    base_url, api, _ = server
    execution_id = api.trigger("acme.streams", "quick").json()["id"]
    final = api.wait_for_end(execution_id)

    streamed = read(base_url, f"/executions/{execution_id}/follow")
    assert [event.id for event in streamed] == ["start", "end"]
    assert streamed[1].data["state"]["histories"] == final["state"]["histories"]
    with client(base_url, **{"Last-Event-ID": "end"}) as http:
        assert http.get(f"/executions/{execution_id}/follow").status_code == 204

    lines = read(base_url, f"/logs/{execution_id}/follow")
    assert [event.data.get("message") for event in lines] == [None, "info one", "info two", "warn one"]
    with client(base_url, **{"Last-Event-ID": lines[1].id}) as http:
        assert [event.data["message"] for event in events(http.get(f"/logs/{execution_id}/follow").iter_lines())] == [
            "info two",
            "warn one",
        ]
    with client(base_url, **{"Last-Event-ID": lines[-1].id}) as http:
        assert http.get(f"/logs/{execution_id}/follow").status_code == 204, "a finished log stream says so"

    warnings = read(base_url, f"/logs/{execution_id}/follow?minLevel=WARN")
    assert [event.data.get("message") for event in warnings] == [None, "warn one"]
    chat = read(base_url, f"/logs/{execution_id}/follow?taskId=chat")
    assert [event.data.get("message") for event in chat] == [None, "info one", "info two"]


def test_unknown_executions_strangers_and_bad_positions_are_refused_before_the_stream(server):
    base_url, api, _ = server
    execution_id = api.trigger("acme.streams", "quick").json()["id"]
    for path in ("/executions/{}/follow", "/logs/{}/follow"):
        with client(base_url) as http:
            missing = http.get(path.format("nosuchexecution"))
            assert (missing.status_code, missing.json()["type"]) == (404, "not-found")
            refused = http.get(path.format(execution_id), headers={"Last-Event-ID": "yesterday"})
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["path"] == "Last-Event-ID"
        stranger = httpx.get(f"{base_url}/api/v1{path.format(execution_id)}", timeout=TIMEOUT)
        assert stranger.status_code == 401 and "Basic" in stranger.headers["WWW-Authenticate"]
    wrong = httpx.get(f"{base_url}/api/v1/main/logs/{execution_id}/follow", auth=("admin", "no"), timeout=TIMEOUT)
    assert wrong.status_code == 401
    with client(base_url) as http:
        assert http.get(f"/logs/{execution_id}/follow", params={"minLevel": "LOUD"}).status_code == 400


def database_connections(database_url: str) -> int:
    """Connections to the server's database, but for this one: the web server's, the worker's, the scheduler's."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_a_hundred_followers_and_ordinary_requests_are_all_served(server):
    base_url, api, database_url = server
    execution_id = api.trigger("acme.streams", "gated").json()["id"]
    api.wait_until(execution_id, lambda execution: execution["state"]["current"] == "PAUSED", "paused")
    started: list[None] = []
    all_open = threading.Event()
    answered: list[int] = []
    connections: list[int] = []

    def ordinary_requests_then_resume() -> None:
        """While the 100 streams wait on the paused execution: count connections, call the API, resume it."""
        assert all_open.wait(timeout=60), f"only {len(started)} streams started"
        connections.append(database_connections(database_url))
        with client(base_url) as http:
            answered.extend(http.get(f"/executions/{execution_id}").status_code for _ in range(30))
            answered.append(http.post(f"/executions/{execution_id}/resume").status_code)

    def one_more_started() -> None:
        started.append(None)
        if len(started) == 100:
            all_open.set()

    async def followers() -> list[list[Event]]:
        limits = httpx.Limits(max_connections=120)
        prefix = f"{base_url}/api/v1/main"
        # Streams open twenty at a time: each opening authenticates with a connection of its own, and a
        # hundred at once would take more than a shared PostgreSQL's 100 sessions. Open, they hold none.
        opening = asyncio.Semaphore(20)

        async def follow(path: str) -> list[Event]:
            await opening.acquire()
            released = False

            def opened() -> None:
                nonlocal released
                released = True
                opening.release()
                one_more_started()

            try:
                return await read_to_end(http, path, opened)
            finally:
                if not released:
                    opening.release()

        async with httpx.AsyncClient(auth=EMBEDDED_ADMIN, timeout=TIMEOUT, limits=limits, base_url=prefix) as http:
            paths = [f"/{kind}/{execution_id}/follow" for n in range(100) for kind in [("logs", "executions")[n % 2]]]
            return await asyncio.wait_for(asyncio.gather(*(follow(path) for path in paths)), timeout=90)

    with ThreadPoolExecutor(max_workers=1) as pool:
        requests_done = pool.submit(ordinary_requests_then_resume)
        streamed = asyncio.run(followers())
        requests_done.result(timeout=60)

    assert answered == [200] * 30 + [204]
    assert connections[0] < 10, "open streams hold no database connection"
    for n, received in enumerate(streamed):
        assert received[0].id == "start"
        if n % 2:
            states = [event.data["state"]["current"] for event in received[1:]]
            assert states[0] == "PAUSED" and states[-1] == "SUCCESS" and received[-1].id == "end"
        else:
            assert [event.data["message"] for event in received[1:]] == ["one", "two", "three", "four", "five"]
