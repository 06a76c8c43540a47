"""Notifications in the admin: written through the services, secrets never shown back, the delivery log read-only."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from flowhub import crypto
from notifications.admin import RECENT_DELIVERIES
from notifications.models import Delivery, DeliveryAttempt, Notification
from tests.engine.flows import HELLO

from .helpers import YAML

FORM = {
    "url": "https://hooks.example.com/flowhub",
    "namespace_prefixes": "acme, ops.team",
    "event_names": ["execution.failed", "execution.killed"],
    "new_secret": "",
    "description": "on call",
    "enabled": "on",
    "deliveries-TOTAL_FORMS": "0",
    "deliveries-INITIAL_FORMS": "0",
}


@pytest.fixture
def admin_client(db) -> Client:
    get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client = Client()
    client.login(username="root", password="pw-for-tests")
    return client


def test_a_notification_added_in_the_admin_shows_its_generated_secret_once(admin_client):
    page = admin_client.post("/admin/notifications/notification/add/", FORM, follow=True)
    assert page.status_code == 200
    notification = Notification.objects.get()
    secret = crypto.decrypt(notification.secret_ciphertext)
    assert secret in page.content.decode()  # the message after the redirect
    assert (notification.namespaces, notification.events) == (["acme", "ops.team"], FORM["event_names"])
    for path in ("/admin/notifications/notification/", f"/admin/notifications/notification/{notification.pk}/change/"):
        text = admin_client.get(path).content.decode()
        assert secret not in text and notification.secret_hint in text


def test_a_change_without_a_secret_keeps_it(admin_client):
    admin_client.post("/admin/notifications/notification/add/", {**FORM, "new_secret": "a-secret-typed-by-hand"})
    notification = Notification.objects.get()
    changed = {**FORM, "url": "https://hooks.example.com/v2", "event_names": ["execution.created"]}
    assert admin_client.post(f"/admin/notifications/notification/{notification.pk}/change/", changed).status_code == 302
    notification.refresh_from_db()
    assert (notification.url, notification.events) == ("https://hooks.example.com/v2", ["execution.created"])
    assert crypto.decrypt(notification.secret_ciphertext) == "a-secret-typed-by-hand"


def test_bad_fields_are_refused_in_the_admin_each_at_its_field(admin_client):
    bad = {**FORM, "url": "ftp://files.example.com", "namespace_prefixes": "Acme", "new_secret": "short"}
    page = admin_client.post("/admin/notifications/notification/add/", bad)
    assert page.status_code == 200
    text = page.content.decode()
    assert "http:// or https://" in text and "lower-case letters" in text and "16 to 255" in text
    assert not Notification.objects.exists()


def test_the_delivery_log_is_shown_read_only_with_each_attempt(admin_client, api):
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    api.post(
        "/api/v1/notifications", {"url": "https://hooks.example.com", "events": ["execution.created"]}, format="json"
    )
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    delivery = Delivery.objects.get()
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, started_at=timezone.now(), duration_ms=12, error="ConnectError: refused"
    )
    notification_page = admin_client.get(f"/admin/notifications/notification/{delivery.notification_id}/change/")
    text = notification_page.content.decode()
    assert delivery.id in text and execution_id in text and "#1 ConnectError: refused in 12 ms" in text
    log = admin_client.get(f"/admin/notifications/delivery/?notification={delivery.notification_id}")
    assert log.status_code == 200 and delivery.id in log.content.decode()
    delivery_page = admin_client.get(f"/admin/notifications/delivery/{delivery.pk}/change/").content.decode()
    assert "ConnectError: refused" in delivery_page and 'name="_save"' not in delivery_page
    assert admin_client.get("/admin/notifications/delivery/add/").status_code == 403


def test_a_notifications_page_shows_its_latest_deliveries_only(admin_client, api):
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    api.post(
        "/api/v1/notifications", {"url": "https://hooks.example.com", "events": ["execution.created"]}, format="json"
    )
    for _ in range(RECENT_DELIVERIES + 2):
        api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart")
    notification = Notification.objects.get()
    text = admin_client.get(f"/admin/notifications/notification/{notification.pk}/change/").content.decode()
    shown = [delivery_id for delivery_id in Delivery.objects.values_list("id", flat=True) if delivery_id in text]
    newest = Delivery.objects.order_by("-created_at").values_list("id", flat=True)[:RECENT_DELIVERIES]
    assert sorted(shown) == sorted(newest)
