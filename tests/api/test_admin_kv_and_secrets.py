"""KV entries and secrets in the admin, through the same services as the API."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kv.models import KVEntry
from namespaces.models import Secret
from namespaces.secrets import secret_resolve

VALUE = "admin-typed-Secret-42"


@pytest.fixture
def admin_client(db) -> Client:
    get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client = Client()
    client.login(username="root", password="pw-for-tests")
    return client


def test_a_secret_is_written_in_the_admin_and_never_shown_again(admin_client):
    form = {"namespace_name": "acme", "name": "API_KEY", "value": VALUE, "description": "vendor"}
    assert admin_client.post("/admin/namespaces/secret/add/", form).status_code == 302
    secret = Secret.objects.get()
    assert secret_resolve(namespace="acme", name="API_KEY") == VALUE
    for page in ("/admin/namespaces/secret/", f"/admin/namespaces/secret/{secret.pk}/change/"):
        assert VALUE not in admin_client.get(page).content.decode()
    edited = {"value": "", "description": "still vendor"}
    assert admin_client.post(f"/admin/namespaces/secret/{secret.pk}/change/", edited).status_code == 302
    assert secret_resolve(namespace="acme", name="API_KEY") == VALUE
    assert Secret.objects.get().description == "still vendor"


def test_a_secret_needs_a_value_and_a_valid_name_in_the_admin(admin_client):
    page = admin_client.post("/admin/namespaces/secret/add/", {"namespace_name": "acme", "name": "bad name"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "This field is required." in text and "starting with a letter" in text
    assert not Secret.objects.exists()


def test_a_kv_entry_is_typed_in_the_admin(admin_client):
    form = {"namespace_name": "acme", "key": "limit", "type": "NUMBER", "text": "42", "ttl": "PT1H", "description": ""}
    assert admin_client.post("/admin/kv/kventry/add/", form).status_code == 302
    entry = KVEntry.objects.get()
    assert (entry.type, entry.value, entry.expires_at is not None) == ("NUMBER", 42, True)
    listing = admin_client.get("/admin/kv/kventry/").content.decode()
    assert "limit" in listing and "42" in listing


@pytest.mark.parametrize(
    ("type_", "text", "message"),
    [("NUMBER", "many", "not a NUMBER value"), ("JSON", "{oops", "not a JSON value"), ("DATE", "soon", "not a DATE")],
)
def test_a_kv_value_that_does_not_fit_its_type_is_refused_in_the_admin(admin_client, type_, text, message):
    form = {"namespace_name": "acme", "key": "k", "type": type_, "text": text, "ttl": "", "description": ""}
    page = admin_client.post("/admin/kv/kventry/add/", form)
    assert page.status_code == 200 and message in page.content.decode()
    assert not KVEntry.objects.exists()
