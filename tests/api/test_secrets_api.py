"""Namespace secrets: stored encrypted, never returned, resolved through the namespace hierarchy, rotatable."""

import base64

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from flowhub import crypto
from flowhub.exceptions import NotFound
from namespaces.models import Secret
from namespaces.secrets import secret_resolve, secret_set

from .helpers import assert_problem

SECRETS = "/api/v1/namespaces/acme.sales/secrets"
VALUE = "s3cr3t-Value-Nobody-Guesses"


def create(api, key="DB_PASSWORD", value=VALUE, namespace="acme.sales", **extra):
    body = {"key": key, "value": value, **extra}
    return api.post(f"/api/v1/namespaces/{namespace}/secrets", body, format="json")


@pytest.mark.parametrize("prefix", ["/api/v1", "/api/v1/main"])
def test_a_secret_is_created_listed_and_read_without_its_value(api, prefix):
    created = api.post(
        f"{prefix}/namespaces/acme.sales/secrets", {"key": "TOKEN", "value": VALUE, "description": "api"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["key"] == "TOKEN" and created.json()["description"] == "api"
    listed = api.get(f"{prefix}/namespaces/acme.sales/secrets")
    one = api.get(f"{prefix}/namespaces/acme.sales/secrets/TOKEN")
    for response in (created, listed, one):
        assert VALUE not in response.content.decode()
        assert "value" not in response.content.decode()
    assert [secret["key"] for secret in listed.json()] == ["TOKEN"]
    assert set(one.json()) == {"namespace", "key", "description", "createdAt", "updatedAt"}


def test_the_value_is_stored_encrypted(api):
    create(api)
    stored = bytes(Secret.objects.get().ciphertext)
    assert VALUE.encode() not in stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM namespaces_secret")
        assert VALUE not in repr(cursor.fetchall())
    assert crypto.decrypt(stored) == VALUE


def test_put_replaces_the_value_and_keeps_the_secret(api):
    create(api)
    first = Secret.objects.get()
    response = api.put(f"{SECRETS}/DB_PASSWORD", {"value": "new-value"}, format="json")
    assert response.status_code == 200
    assert Secret.objects.get().pk == first.pk
    assert secret_resolve(namespace="acme.sales", name="DB_PASSWORD") == "new-value"
    assert api.put(f"{SECRETS}/OTHER", {"value": "x"}, format="json").status_code == 201


def test_delete_removes_it_and_a_missing_one_is_404(api):
    create(api)
    assert api.delete(f"{SECRETS}/DB_PASSWORD").status_code == 204
    assert_problem(api.delete(f"{SECRETS}/DB_PASSWORD"), 404, "not-found")
    assert_problem(api.get(f"{SECRETS}/DB_PASSWORD"), 404, "not-found")


@pytest.mark.parametrize(
    ("body", "status", "slug", "path"),
    [
        ({"key": "bad name", "value": "x"}, 422, "validation-failed", "key"),
        ({"key": "1starts_with_digit", "value": "x"}, 422, "validation-failed", "key"),
        ({"key": "K", "value": ""}, 400, "invalid-query-parameter", "value"),
        ({"key": "K"}, 400, "invalid-query-parameter", "value"),
        ({"value": "x"}, 400, "invalid-query-parameter", "key"),
    ],
)
def test_bad_secrets_are_refused_naming_the_field_and_nothing_is_stored(api, body, status, slug, path):
    problem = assert_problem(api.post(SECRETS, body, format="json"), status, slug)
    assert [error["path"] for error in problem["errors"]] == [path]
    assert not Secret.objects.exists()


def test_a_bad_namespace_is_refused(api):
    problem = assert_problem(create(api, namespace="Acme"), 422, "validation-failed")
    assert problem["errors"][0]["path"] == "namespace"


def test_resolution_goes_up_the_namespace_tree_then_to_the_environment(db, monkeypatch):
    secret_set(namespace="acme", name="SHARED", value="from-acme")
    secret_set(namespace="acme.sales", name="SHARED", value="from-sales")
    secret_set(namespace="acme", name="ROOT_ONLY", value="root")
    monkeypatch.setenv("SECRET_LEGACY_KEY", base64.b64encode(b"from-env").decode())
    monkeypatch.setenv("SECRET_BROKEN", "not base64!")
    assert secret_resolve(namespace="acme.sales.eu", name="SHARED") == "from-sales"
    assert secret_resolve(namespace="acme.ops", name="SHARED") == "from-acme"
    assert secret_resolve(namespace="acme.sales", name="ROOT_ONLY") == "root"
    assert secret_resolve(namespace="other", name="legacy_key") == "from-env"
    with pytest.raises(NotFound, match="'BROKEN' not found"):
        secret_resolve(namespace="acme", name="BROKEN")
    with pytest.raises(NotFound):
        secret_resolve(namespace="other", name="SHARED")
    assert Secret.objects.get(namespace_id="acme.sales", name="SHARED").last_used_at is not None


def test_rotation_reencrypts_with_the_new_key_while_the_old_one_still_opens(db, settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-key-" * 8, []
    secret_set(namespace="acme", name="K", value=VALUE)
    old_token = bytes(Secret.objects.get().ciphertext)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key-" * 8, ["old-key-" * 8]
    assert secret_resolve(namespace="acme", name="K") == VALUE  # the fallback still decrypts
    call_command("rotate_secrets")
    assert bytes(Secret.objects.get().ciphertext) != old_token
    settings.SECRET_KEY_FALLBACKS = []
    assert secret_resolve(namespace="acme", name="K") == VALUE


def test_rotation_names_the_secrets_no_key_opens(db, settings):
    settings.SECRET_KEY = "lost-key-" * 8
    secret_set(namespace="acme", name="LOST", value=VALUE)
    settings.SECRET_KEY = "another-key-" * 8
    with pytest.raises(CommandError, match="acme/LOST"):
        call_command("rotate_secrets")


def test_anonymous_callers_are_401(anonymous):
    assert_problem(anonymous.get(SECRETS), 401, "unauthenticated")
