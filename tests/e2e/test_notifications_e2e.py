"""Notifications with real processes: the web server writes deliveries, a celery worker POSTs them signed to
a receiver in this test process, and retries one whose receiver is down until it is back.

Redis only: the path is the same on RabbitMQ (a retry is a countdown message on either), and a stack costs."""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.receiver import Receiver, closed_port

from .conftest import REDIS_ONLY
from .quickstart import HELLO

pytestmark = [pytest.mark.distributed, REDIS_ONLY]


def eventually(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"not {what} after {timeout}s")


def signed_with(secret: str, headers: dict[str, str], body: bytes) -> bool:
    message = f"{headers['X-Flowhub-Timestamp']}.".encode() + body
    expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Flowhub-Signature"])


def test_signed_deliveries_reach_a_receiver_and_one_that_was_down_gets_its_own_once_back(stack):
    api, _ = stack
    events = ["execution.created", "execution.succeeded"]
    port = closed_port()
    with Receiver() as receiver:
        prompt = api.session.post(f"{api.base}/notifications", json={"url": receiver.url, "events": events}).json()
        late_url = f"http://127.0.0.1:{port}/late"
        late = api.session.post(f"{api.base}/notifications", json={"url": late_url, "events": events[1:]}).json()
        assert api.create_flow(HELLO).status_code == 200
        execution_id = api.trigger("acme.sales", "hello").json()["id"]
        api.wait_until(execution_id, lambda execution: execution["state"]["current"] == "SUCCESS", "SUCCESS")
        eventually(lambda: len(receiver.received) == 2, "both events received")
    payloads = [json.loads(request.body) for request in receiver.received]
    assert sorted(payload["event"] for payload in payloads) == events
    assert all(payload["data"]["execution"]["id"] == execution_id for payload in payloads)
    assert all(signed_with(prompt["secret"], request.headers, request.body) for request in receiver.received)

    log = f"{api.base}/notifications/{late['id']}/deliveries"
    eventually(lambda: api.session.get(log).json()["results"][0]["attemptLog"], "a failed attempt logged")
    with Receiver(port=port) as back:
        (request,) = eventually(lambda: back.received, "the delivery retried to the receiver back up")
    assert signed_with(late["secret"], request.headers, request.body)
    delivery = eventually(
        lambda: (found := api.session.get(log).json()["results"][0])["status"] == "DELIVERED" and found,
        "the delivery marked delivered",
    )
    *failures, success = delivery["attemptLog"]
    assert failures and all("statusCode" not in attempt and attempt["error"] for attempt in failures)
    assert success["statusCode"] == 204 and delivery["attempts"] == len(failures) + 1
