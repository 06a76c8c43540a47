"""Outgoing notifications: their API, the outbox rows written with each execution event, and signed
deliveries to a real HTTP receiver on 127.0.0.1, retried while it is down."""

import hashlib
import hmac
import ipaddress
import json
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from executions.models import Execution
from executions.services import execution_create
from flowhub import crypto
from flowhub.celery import app
from namespaces.models import Flow
from notifications.delivery import deliveries_purge, deliveries_sweep, delivery_attempt
from notifications.models import Delivery, DeliveryAttempt, Notification
from tests.engine.flows import HELLO

from .drive import run_to_end
from .helpers import YAML, assert_problem
from .receiver import Receiver, closed_port

ALL_EVENTS = [
    "execution.created",
    "execution.succeeded",
    "execution.failed",
    "execution.killed",
    "execution.warning",
]
FAILING = "id: broken\nnamespace: acme.sales\ntasks:\n  - id: boom\n    type: io.kestra.plugin.core.execution.Fail\n"
RETRY_NOW = override_settings(FLOWHUB_NOTIFICATION_RETRY_BASE_SECONDS=0, FLOWHUB_NOTIFICATION_MAX_ATTEMPTS=5)


def register(api, url="http://127.0.0.1:9/hook", **fields) -> dict:
    response = api.post("/api/v1/notifications", {"url": url, "events": ALL_EVENTS, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def start(api, flow_id="hello") -> str:
    response = api.post(f"/api/v1/executions/acme.sales/{flow_id}", {}, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()["id"]


def deliver_messages() -> list[tuple[str, str | None]]:
    """The `notifications.deliver` messages sent since last read: (delivery id, ETA); other messages dropped."""
    found = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("executor", no_ack=True)
        try:
            while True:
                message = queue.get(block=False)
                if message.headers["task"] == "notifications.deliver":
                    found.append((message.payload[0][0], message.headers.get("eta")))
        except queue.Empty:
            pass
        finally:
            queue.close()
    return found


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, as docs/notifications-and-metrics.md gives it."""
    timestamp = headers["X-Flowhub-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", headers["X-Flowhub-Signature"])


@pytest.fixture
def hello(api):
    assert api.post("/api/v1/flows", HELLO, content_type=YAML).status_code == 200


# The API


def test_a_secret_left_out_is_generated_answered_once_and_stored_encrypted(api):
    created = register(api, namespaces=["acme"], description="ops channel")
    secret = created["secret"]
    assert len(secret) >= 32 and created["secretHint"] == secret[-4:]
    assert created["namespaces"] == ["acme"] and created["events"] == ALL_EVENTS and created["enabled"] is True
    shown = api.get(f"/api/v1/notifications/{created['id']}").json()
    assert "secret" not in shown and shown == {key: value for key, value in created.items() if key != "secret"}
    stored = Notification.objects.get()
    assert secret.encode() not in bytes(stored.secret_ciphertext)
    assert crypto.decrypt(stored.secret_ciphertext) == secret


def test_a_given_secret_is_never_answered(api):
    created = register(api, secret="s3cret-of-the-receiver")
    assert "secret" not in created and created["secretHint"] == "iver"
    assert crypto.decrypt(Notification.objects.get().secret_ciphertext) == "s3cret-of-the-receiver"


def test_the_list_is_paged_as_kestras(api):
    ids = [register(api, description=f"n{index}")["id"] for index in range(3)]
    response = api.get("/api/v1/main/notifications", {"size": 2, "sort": "createdAt:asc"})
    body = response.json()
    assert body["total"] == 3 and [item["id"] for item in body["results"]] == ids[:2]
    assert response["X-Total-Count"] == "3" and 'rel="next"' in response["Link"]
    assert all("secret" not in item for item in body["results"])


def test_an_update_replaces_the_settings_and_keeps_the_secret_unless_given(api):
    created = register(api, secret="the-first-secret-value")
    path = f"/api/v1/notifications/{created['id']}"
    changed = {"url": "https://hooks.example.com/x", "events": ["execution.failed"], "enabled": False}
    body = api.put(path, changed, format="json").json()
    assert (body["url"], body["events"], body["namespaces"], body["enabled"]) == (
        "https://hooks.example.com/x",
        ["execution.failed"],
        [],
        False,
    )
    assert crypto.decrypt(Notification.objects.get().secret_ciphertext) == "the-first-secret-value"
    body = api.put(path, {**changed, "secret": "the-second-secret-value"}, format="json").json()
    assert body["secretHint"] == "alue" and "secret" not in body
    assert crypto.decrypt(Notification.objects.get().secret_ciphertext) == "the-second-secret-value"


def test_a_deleted_notification_goes_with_its_delivery_log(api, hello):
    created = register(api)
    start(api)
    assert Delivery.objects.count() == 1
    assert api.delete(f"/api/v1/notifications/{created['id']}").status_code == 204
    assert not Delivery.objects.exists()
    assert_problem(api.get(f"/api/v1/notifications/{created['id']}"), 404, "not-found")


@pytest.mark.parametrize(
    ("body", "path", "detail"),
    [
        ({"url": "ftp://files.example.com/in", "events": ALL_EVENTS}, "url", "http:// or https://"),
        ({"url": "not a url", "events": ALL_EVENTS}, "url", "spaces"),
        ({"url": "https:///no-host", "events": ALL_EVENTS}, "url", "with a host"),
        ({"url": "http://example.com:99999/", "events": ALL_EVENTS}, "url", "not a URL"),
        ({"url": "https://example.com/" + "x" * 2048, "events": ALL_EVENTS}, "url", "no more than 2048"),
        ({"events": ALL_EVENTS}, "url", "required"),
        ({"url": "https://example.com", "events": []}, "events", "at least one"),
        ({"url": "https://example.com"}, "events", "required"),
        ({"url": "https://example.com", "events": "execution.failed"}, "events", "list"),
        ({"url": "https://example.com", "events": ["execution.started"]}, "events[0]", "'execution.started'"),
        ({"url": "https://example.com", "events": ALL_EVENTS, "namespaces": ["Acme Sales"]}, "namespaces[0]", "lower"),
        ({"url": "https://example.com", "events": ALL_EVENTS, "namespaces": ["acme.."]}, "namespaces[0]", "empty"),
        ({"url": "https://example.com", "events": ALL_EVENTS, "secret": "short"}, "secret", "at least 16"),
        ({"url": "https://example.com", "events": ALL_EVENTS, "enabled": "maybe"}, "enabled", "boolean"),
    ],
)
def test_a_bad_notification_is_422_naming_the_field_and_stores_nothing(api, body, path, detail):
    problem = assert_problem(api.post("/api/v1/notifications", body, format="json"), 422, "validation-failed")
    (error,) = problem["errors"]
    assert error["path"] == path and detail in error["detail"], error
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://receiver:8080/hook", "https://hooks.example.com/a?b=c", "http://[::1]:9000/", "http://8.8.8.8/"]
)
def test_any_http_or_https_url_with_a_host_is_taken(api, url):
    assert register(api, url=url)["url"] == url


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.7",
        "192.168.1.20",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "[fd00::1]",
        "[::ffff:10.0.0.1]",
    ],
)
def test_an_address_inside_the_servers_network_is_refused_unless_allowed(api, host):
    body = {"url": f"http://{host}/hook", "events": ALL_EVENTS}
    problem = assert_problem(api.post("/api/v1/notifications", body, format="json"), 422, "validation-failed")
    (error,) = problem["errors"]
    assert error["path"] == "url" and "is not a public address" in error["detail"], error
    assert not Notification.objects.exists()


@override_settings(FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS=[ipaddress.ip_network("10.0.0.0/8")])
def test_an_allowed_network_is_reachable(api):
    assert register(api, url="http://10.0.0.7/hook")["url"] == "http://10.0.0.7/hook"
    assert_problem(
        api.post("/api/v1/notifications", {"url": "http://192.168.1.2/", "events": ALL_EVENTS}),
        422,
        "validation-failed",
    )


def test_a_bad_update_is_422_and_changes_nothing(api):
    created = register(api)
    path = f"/api/v1/notifications/{created['id']}"
    response = api.put(path, {"url": "gopher://x", "events": ["execution.failed"]}, format="json")
    assert assert_problem(response, 422, "validation-failed")["errors"][0]["path"] == "url"
    assert Notification.objects.get().url == created["url"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("put", ""), ("delete", ""), ("get", "/deliveries"), ("post", "/test")],
)
def test_an_unknown_notification_is_404(api, method, suffix):
    body = {"url": "https://example.com", "events": ALL_EVENTS}
    response = getattr(api, method)(f"/api/v1/notifications/nope{suffix}", body, format="json")
    assert_problem(response, 404, "not-found")


def test_notifications_need_authentication(anonymous):
    assert_problem(anonymous.get("/api/v1/notifications"), 401, "unauthenticated")


def test_rotating_the_key_reencrypts_notification_secrets_and_names_those_lost(api, settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-key-" * 8, []
    kept = register(api, secret="a-secret-to-rotate-now")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key-" * 8, ["old-key-" * 8]
    call_command("rotate_secrets")
    settings.SECRET_KEY_FALLBACKS = []
    assert crypto.decrypt(Notification.objects.get(pk=kept["id"]).secret_ciphertext) == "a-secret-to-rotate-now"
    settings.SECRET_KEY = "yet-another-key-" * 4
    with pytest.raises(CommandError, match=f"notification {kept['id']}"):
        call_command("rotate_secrets")


# The outbox: deliveries written in the transaction of the event


def test_a_created_execution_writes_its_delivery_sent_once_committed(api, hello, django_capture_on_commit_callbacks):
    register(api, namespaces=["acme"], events=["execution.created"])
    deliver_messages()
    with django_capture_on_commit_callbacks(execute=True):
        execution_id = start(api)
    delivery = Delivery.objects.get()
    assert (delivery.event, delivery.execution_id, delivery.namespace, delivery.status, delivery.attempts) == (
        "execution.created",
        execution_id,
        "acme.sales",
        "PENDING",
        0,
    )
    summary = delivery.payload["data"]["execution"]
    assert delivery.payload["id"] == delivery.id and delivery.payload["event"] == "execution.created"
    assert summary["id"] == execution_id and summary["flowId"] == "hello" and summary["state"] == "CREATED"
    assert {"key": "team", "value": "sales"} in summary["labels"]
    assert "endDate" not in summary and "duration" not in summary
    assert deliver_messages() == [(delivery.id, None)]


def test_the_payload_links_to_the_execution_from_the_public_url(api, hello, settings):
    settings.FLOWHUB_PUBLIC_URL = "https://flowhub.example.com"
    register(api, events=["execution.created"])
    execution_id = start(api)
    summary = Delivery.objects.get().payload["data"]["execution"]
    assert summary["url"] == f"https://flowhub.example.com/admin/executions/execution/{execution_id}/change/"


def test_an_execution_rolled_back_leaves_no_delivery_and_sends_nothing(api, hello, django_capture_on_commit_callbacks):
    register(api)
    flow = Flow.objects.get(flow_id="hello")
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        execution_create(flow=flow, inputs={}, labels=[])
        assert Delivery.objects.count() == 1  # written with the execution...
        raise RuntimeError("the caller's transaction fails")
    assert not Delivery.objects.exists() and not Execution.objects.exists()  # ...and gone with it
    assert callbacks == []


@pytest.mark.parametrize(
    ("flow", "flow_id", "event", "state"),
    [(HELLO, "hello", "execution.succeeded", "SUCCESS"), (FAILING, "broken", "execution.failed", "FAILED")],
    ids=["succeeded", "failed"],
)
def test_an_ending_writes_the_event_of_its_state(api, flow, flow_id, event, state):
    api.post("/api/v1/flows", flow, content_type=YAML)
    register(api, events=["execution.succeeded", "execution.failed"])
    execution = run_to_end(start(api, flow_id))
    assert execution.state == state
    delivery = Delivery.objects.get()
    summary = delivery.payload["data"]["execution"]
    assert delivery.event == event and summary["state"] == state
    assert summary["endDate"] == execution.end_date and summary["duration"] == execution.duration_seconds


def test_a_kill_writes_execution_killed(api, hello):
    register(api, events=["execution.killed"])
    execution_id = start(api)
    assert api.delete(f"/api/v1/executions/{execution_id}/kill").status_code == 202
    assert list(Delivery.objects.values_list("event", "execution_id")) == [("execution.killed", execution_id)]


def test_notifications_match_by_namespace_prefix_event_and_enabled(api, hello):
    wanted = [
        register(api, namespaces=["acme"], events=["execution.created"])["id"],
        register(api, namespaces=["acme.sales"], events=["execution.created"])["id"],
        register(api, namespaces=["other", "acme.sales"], events=["execution.created"])["id"],
        register(api, events=["execution.created"])["id"],
    ]
    register(api, namespaces=["acme.sales.eu"], events=["execution.created"])
    register(api, namespaces=["acm"], events=["execution.created"])
    register(api, namespaces=["acme"], events=["execution.failed"])
    register(api, namespaces=["acme"], events=["execution.created"], enabled=False)
    start(api)
    assert sorted(Delivery.objects.values_list("notification_id", flat=True)) == sorted(wanted)


# Deliveries to a real receiver


def test_a_delivery_is_signed_with_the_secret_and_its_timestamp(api, hello):
    with Receiver(status=204) as receiver:
        created = register(api, url=receiver.url, events=["execution.created"])
        execution_id = start(api)
        delivery = Delivery.objects.get()
        attempt = delivery_attempt(delivery_id=delivery.id)
    assert attempt is not None and attempt.status_code == 204 and attempt.error == ""
    (request,) = receiver.received
    headers = request.headers
    assert verified(created["secret"], headers, request.body)
    assert not verified("some-other-secret-value", headers, request.body)
    assert abs(int(headers["X-Flowhub-Timestamp"]) - time.time()) < 300
    assert headers["X-Flowhub-Event"] == "execution.created" and headers["X-Flowhub-Delivery"] == delivery.id
    assert headers["Content-Type"] == "application/json" and headers["X-Flowhub-Attempt"] == "1"
    assert request.path == "/hooks/flowhub"
    payload = json.loads(request.body)
    assert payload == delivery.payload and payload["data"]["execution"]["id"] == execution_id
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.ended_at is not None) == ("DELIVERED", 1, True)
    assert delivery_attempt(delivery_id=delivery.id) is None  # a duplicate message sends nothing
    assert len(receiver.received) == 1


def test_a_name_resolving_inside_the_servers_network_is_refused_when_sent_without_a_connection(api, hello):
    with Receiver(status=204) as receiver:
        url = receiver.url.replace("127.0.0.1", "localhost")
        register(api, url=url, events=["execution.created"])  # a name: resolved when sent
        start(api)
        with override_settings(FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS=[]):
            attempt = delivery_attempt(delivery_id=Delivery.objects.get().id)
    assert attempt is not None and attempt.status_code is None
    assert attempt.error.startswith("refused: 'localhost' resolves to ") and "is not a public address" in attempt.error
    assert receiver.received == []


def test_a_delivery_to_a_name_goes_to_its_checked_address_with_the_names_host_header(api, hello):
    with Receiver(status=204) as receiver:
        url = receiver.url.replace("127.0.0.1", "localhost")
        register(api, url=url, events=["execution.created"])
        start(api)
        attempt = delivery_attempt(delivery_id=Delivery.objects.get().id)
    assert attempt is not None and attempt.status_code == 204, attempt.error
    (request,) = receiver.received
    assert request.headers["Host"] == url.split("/")[2]


@RETRY_NOW
def test_a_receiver_that_is_down_gets_retries_logged_then_the_delivery_once_it_is_back(api, hello):
    port = closed_port()
    created = register(api, url=f"http://127.0.0.1:{port}/hook", events=["execution.created"])
    start(api)
    delivery = Delivery.objects.get()
    for _ in range(3):
        failed = delivery_attempt(delivery_id=delivery.id)
        assert failed is not None and failed.status_code is None and "ConnectError" in failed.error
    deliver_messages()
    with Receiver(port=port, status=200, answer=b"thanks") as receiver:
        assert delivery_attempt(delivery_id=delivery.id).status_code == 200
    assert len(receiver.received) == 1 and verified(created["secret"], **_signed(receiver.received[0]))
    log = api.get(f"/api/v1/notifications/{created['id']}/deliveries").json()
    (shown,) = log["results"]
    assert (shown["status"], shown["attempts"], shown["event"]) == ("DELIVERED", 4, "execution.created")
    attempts = shown["attemptLog"]
    assert [attempt["number"] for attempt in attempts] == [1, 2, 3, 4]
    assert all("statusCode" not in attempt and "ConnectError" in attempt["error"] for attempt in attempts[:3])
    assert (attempts[3]["statusCode"], attempts[3]["response"], "error" not in attempts[3]) == (200, "thanks", True)
    assert all(attempt["durationMs"] >= 0 and attempt["startedAt"].endswith("Z") for attempt in attempts)


def _signed(received) -> dict:
    return {"headers": received.headers, "body": received.body}


@RETRY_NOW
def test_an_error_answer_is_retried_and_its_answer_logged(api, hello):
    with Receiver(status=500, answer=b"boom") as receiver:
        register(api, url=receiver.url, events=["execution.created"])
        start(api)
        attempt = delivery_attempt(delivery_id=Delivery.objects.get().id)
    assert (attempt.status_code, attempt.error, attempt.response) == (500, "HTTP 500 Internal Server Error", "boom")
    assert Delivery.objects.get().status == "PENDING" and len(receiver.received) == 1


@override_settings(FLOWHUB_NOTIFICATION_RETRY_BASE_SECONDS=0, FLOWHUB_NOTIFICATION_MAX_ATTEMPTS=2)
def test_a_delivery_is_given_up_after_its_last_attempt(api, hello):
    register(api, url=f"http://127.0.0.1:{closed_port()}/", events=["execution.created"])
    start(api)
    delivery = Delivery.objects.get()
    assert delivery_attempt(delivery_id=delivery.id) is not None
    assert delivery_attempt(delivery_id=delivery.id) is not None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.ended_at is not None) == ("FAILED", 2, True)
    assert delivery_attempt(delivery_id=delivery.id) is None
    assert DeliveryAttempt.objects.count() == 2


@override_settings(FLOWHUB_NOTIFICATION_RETRY_BASE_SECONDS=0, FLOWHUB_NOTIFICATION_MAX_ATTEMPTS=1)
def test_a_given_up_delivery_is_sent_again_as_a_new_one_with_the_same_event(
    api, hello, django_capture_on_commit_callbacks
):
    port = closed_port()
    created = register(api, url=f"http://127.0.0.1:{port}/hook", events=["execution.created"])
    base = f"/api/v1/notifications/{created['id']}/deliveries"
    start(api)
    failed = Delivery.objects.get()
    assert_problem(api.post(f"{base}/{failed.id}/redeliver"), 409, "conflict")  # still attempted
    assert delivery_attempt(delivery_id=failed.id).status_code is None
    deliver_messages()
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(f"{base}/{failed.id}/redeliver")
    assert answer.status_code == 202, answer.content
    again = Delivery.objects.get(pk=answer.json()["id"])
    assert (again.status, again.attempts, again.event) == ("PENDING", 0, "execution.created")
    assert again.payload == {**failed.payload, "id": again.id}
    assert [delivery_id for delivery_id, _ in deliver_messages()] == [again.id]
    with Receiver(port=port, status=204) as receiver:
        assert delivery_attempt(delivery_id=again.id).status_code == 204
    (request,) = receiver.received
    assert request.headers["X-Flowhub-Delivery"] == again.id and verified(created["secret"], **_signed(request))
    assert json.loads(request.body)["data"] == failed.payload["data"]
    failed.refresh_from_db()
    assert failed.status == "FAILED"  # its log stays as it was


def test_a_delivery_of_another_notification_or_none_is_not_redelivered(api, hello):
    first = register(api, events=["execution.created"])
    second = register(api, events=["execution.failed"])
    start(api)
    theirs = Delivery.objects.get(notification_id=first["id"])
    for path in (f"{second['id']}/deliveries/{theirs.id}", f"{first['id']}/deliveries/nope"):
        assert_problem(api.post(f"/api/v1/notifications/{path}/redeliver"), 404, "not-found")
    assert Delivery.objects.count() == 1


@override_settings(FLOWHUB_NOTIFICATION_RETRY_BASE_SECONDS=20, FLOWHUB_NOTIFICATION_RETRY_MAX_SECONDS=60)
def test_retries_back_off_exponentially_short_ones_as_countdowns_long_ones_left_to_the_sweep(
    api, hello, django_capture_on_commit_callbacks
):
    register(api, url=f"http://127.0.0.1:{closed_port()}/", events=["execution.created"])
    start(api)
    delivery = Delivery.objects.get()
    deliver_messages()
    waits = []
    for _ in range(3):
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            assert delivery_attempt(delivery_id=delivery.id) is not None
        delivery.refresh_from_db()
        waits.append(round((delivery.next_attempt_at - before).total_seconds() / 10) * 10)
        assert delivery_attempt(delivery_id=delivery.id) is None  # not due yet
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert waits == [20, 40, 60]  # 20 * 2^(n - 1), capped at 60
    messages = deliver_messages()
    assert [delivery_id for delivery_id, _ in messages] == [delivery.id] * 3
    assert all(eta is not None for _, eta in messages)


def test_the_sweep_sends_again_what_is_due_and_unclaimed_only(api, hello):
    register(api, events=["execution.created"])
    register(api, events=["execution.created"], enabled=False)
    busy, idle = register(api, events=["execution.created"]), register(api, events=["execution.created"])
    start(api)
    long_ago = timezone.now() - timedelta(minutes=5)
    Delivery.objects.update(next_attempt_at=long_ago)
    Delivery.objects.filter(notification_id=busy["id"]).update(claimed_until=timezone.now() + timedelta(minutes=1))
    Delivery.objects.filter(notification_id=idle["id"]).update(next_attempt_at=timezone.now() + timedelta(minutes=1))
    deliver_messages()
    assert deliveries_sweep() == 1
    (sent,) = deliver_messages()
    assert Delivery.objects.get(pk=sent[0]).notification.enabled
    assert sent[0] not in Delivery.objects.filter(notification_id__in=[busy["id"], idle["id"]]).values_list(
        "id", flat=True
    )


def test_an_attempt_in_flight_holds_the_delivery_until_its_lease_ends(api, hello):
    with Receiver() as receiver:
        register(api, url=receiver.url, events=["execution.created"])
        start(api)
        delivery = Delivery.objects.get()
        # Another worker claimed attempt 1 and is still at it: no second POST meanwhile.
        Delivery.objects.filter(pk=delivery.pk).update(attempts=1, claimed_until=timezone.now() + timedelta(minutes=1))
        assert delivery_attempt(delivery_id=delivery.id) is None
        assert receiver.received == []
        # That worker died: once its lease is over, the next attempt goes, and the log tells of the lost one.
        Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
        assert delivery_attempt(delivery_id=delivery.id).number == 2
    assert len(receiver.received) == 1 and receiver.received[0].headers["X-Flowhub-Attempt"] == "2"
    lost, sent = DeliveryAttempt.objects.order_by("number")
    assert (lost.number, lost.status_code, "stopped" in lost.error) == (1, None, True)
    assert (sent.number, sent.status_code) == (2, 204)


@pytest.mark.django_db(transaction=True)
def test_a_second_message_while_a_post_is_in_flight_sends_nothing(api):
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    answer = threading.Event()
    with Receiver(hold=answer) as receiver:
        register(api, url=receiver.url, events=["execution.created"])
        start(api)
        delivery = Delivery.objects.get()

        def first_message() -> None:
            try:
                delivery_attempt(delivery_id=delivery.id)
            finally:
                connection.close()

        in_flight = threading.Thread(target=first_message)
        in_flight.start()
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(receiver.received) == 1  # the first POST waits for its answer...
        assert delivery_attempt(delivery_id=delivery.id) is None  # ...and a duplicate message sends nothing
        answer.set()
        in_flight.join(timeout=30)
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("DELIVERED", 1)


def test_a_disabled_notification_holds_its_pending_deliveries_until_enabled_again(api, hello):
    with Receiver() as receiver:
        created = register(api, url=receiver.url, events=["execution.created"])
        start(api)
        delivery = Delivery.objects.get()
        Notification.objects.update(enabled=False)
        assert delivery_attempt(delivery_id=delivery.id) is None
        Notification.objects.update(enabled=True)
        assert delivery_attempt(delivery_id=delivery.id).status_code == 204
    assert [request.headers["X-Flowhub-Delivery"] for request in receiver.received] == [delivery.id]
    assert created["enabled"]


def test_ended_deliveries_are_purged_after_the_log_days(api, hello):
    register(api, events=["execution.created"])
    for _ in range(3):
        start(api)
    old, recent, pending = Delivery.objects.order_by("created_at")
    now = timezone.now()
    Delivery.objects.filter(pk=old.pk).update(status="DELIVERED", ended_at=now - timedelta(days=31))
    Delivery.objects.filter(pk=recent.pk).update(status="FAILED", ended_at=now - timedelta(days=29))
    DeliveryAttempt.objects.create(delivery=old, number=1, started_at=now, duration_ms=1, status_code=200)
    assert deliveries_purge() == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not DeliveryAttempt.objects.exists()


def test_the_test_endpoint_sends_a_signed_test_delivery(api):
    with Receiver() as receiver:
        created = register(api, url=receiver.url)
        response = api.post(f"/api/v1/notifications/{created['id']}/test")
        assert response.status_code == 202
        body = response.json()
        assert (body["event"], body["status"], body["attempts"]) == ("notification.test", "PENDING", 0)
        assert delivery_attempt(delivery_id=body["id"]).status_code == 204
    (request,) = receiver.received
    assert verified(created["secret"], request.headers, request.body)
    assert json.loads(request.body)["data"] == {"notification": {"id": created["id"]}}


def test_the_delivery_log_filters_and_reads_in_a_fixed_number_of_queries(api, hello, django_assert_num_queries):
    created = register(api, events=["execution.created"])
    execution_ids = [start(api) for _ in range(4)]
    for delivery in Delivery.objects.all():
        DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), duration_ms=3)
    path = f"/api/v1/notifications/{created['id']}/deliveries"
    api.get(path)  # the credentials are verified once, then remembered
    with django_assert_num_queries(5):  # the user, the notification, the count, the page, its attempts
        body = api.get(path, {"size": 3}).json()
    assert body["total"] == 4 and len(body["results"]) == 3
    assert all(len(item["attemptLog"]) == 1 for item in body["results"])
    only = api.get(path, {"executionId": execution_ids[0]}).json()
    assert [item["executionId"] for item in only["results"]] == [execution_ids[0]]
    assert api.get(path, {"status": "DELIVERED"}).json()["total"] == 0
    assert_problem(api.get(path, {"status": "LOST"}), 400, "invalid-query-parameter")


def test_a_secret_no_key_opens_is_an_attempt_failed_without_a_post(api, hello, settings):
    with Receiver() as receiver:
        register(api, url=receiver.url, events=["execution.created"])
        start(api)
        settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-key-that-never-was-" * 3, []
        attempt = delivery_attempt(delivery_id=Delivery.objects.get().id)
    assert attempt.status_code is None and "no configured key" in attempt.error
    assert receiver.received == []
