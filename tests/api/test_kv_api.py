"""The KV store over Kestra's paths: typed values, expiry, listing, inheritance, bulk delete, bad input."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from flowhub.engine.kv import KVType
from flowhub.exceptions import Conflict
from kv import services
from kv.models import KVEntry
from kv.tasks import purge_expired
from namespaces.models import Namespace

from .helpers import assert_problem

KV = "/api/v1/namespaces/acme.sales/kv"


def put(api, key, body, content_type="text/plain", namespace="acme.sales", **headers):
    return api.put(f"/api/v1/namespaces/{namespace}/kv/{key}", body, content_type=content_type, **headers)


@pytest.mark.parametrize(
    ("body", "kv_type", "value"),
    [
        ("hello world", "STRING", "hello world"),
        ('"quoted"', "STRING", "quoted"),
        ("42", "NUMBER", 42),
        ("3.5", "NUMBER", 3.5),
        ("true", "BOOLEAN", True),
        ('{"a": [1, 2]}', "JSON", {"a": [1, 2]}),
        ("[1, 2]", "JSON", [1, 2]),
        ("2024-01-01T10:00:00+02:00", "DATETIME", "2024-01-01T08:00:00Z"),
        ("2024-01-01", "DATE", "2024-01-01"),
        ("PT90M", "DURATION", "PT1H30M"),
        ("1e999", "STRING", "1e999"),
    ],
)
@pytest.mark.parametrize("prefix", ["/api/v1", "/api/v1/main"])
def test_a_value_is_typed_as_kestra_types_it_and_read_back(api, prefix, body, kv_type, value):
    response = api.put(f"{prefix}/namespaces/acme.sales/kv/k", body, content_type="text/plain")
    assert response.status_code == 200, response.content
    got = api.get(f"{prefix}/namespaces/acme.sales/kv/k")
    assert got.status_code == 200
    assert got.json()["type"] == kv_type and got.json()["value"] == value
    assert got.json()["revision"] == 1 and got.json()["updated"].endswith("Z")


def test_a_json_body_works_as_curl_scripts_send_it(api):
    assert put(api, "greeting", '"Hello"', content_type="application/json").status_code == 200
    assert api.get(f"{KV}/greeting").json()["value"] == "Hello"


def test_a_write_creates_the_namespace_and_its_parents(api):
    put(api, "k", "v", namespace="acme.ops.eu")
    assert set(Namespace.objects.values_list("id", flat=True)) == {"acme", "acme.ops", "acme.ops.eu"}


def test_overwriting_keeps_the_creation_date_and_counts_revisions(api):
    put(api, "k", "1")
    created = KVEntry.objects.get().created_at
    put(api, "k", "two")
    entry = KVEntry.objects.get()
    assert (entry.type, entry.value, entry.revision, entry.created_at) == ("STRING", "two", 2, created)


def test_ttl_and_description_headers_are_kept_and_listed(api):
    before = timezone.now()
    put(api, "temp", "x", HTTP_TTL="PT1H", HTTP_DESCRIPTION="short-lived")
    put(api, "keep", "y")
    listed = api.get(KV).json()
    assert [entry["key"] for entry in listed] == ["keep", "temp"]
    keep, temp = listed
    assert "expirationDate" not in keep and "description" not in keep
    assert temp["description"] == "short-lived"
    assert keep["size"] == 3 and temp["revision"] == 1
    expires = KVEntry.objects.get(key="temp").expires_at
    assert timedelta(minutes=59) < expires - before <= timedelta(hours=1, seconds=5)
    assert temp["expirationDate"].endswith("Z") and temp["creationDate"] and temp["updateDate"]


def test_an_expired_key_reads_as_gone_at_once_and_is_hidden_from_lists(api):
    put(api, "old", "x", HTTP_TTL="PT1H")
    KVEntry.objects.filter(key="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_problem(api.get(f"{KV}/old"), 410, "gone")
    assert "expired" in body["detail"]
    assert api.get(KV).json() == []
    assert api.get("/api/v1/kv").json()["total"] == 0
    assert api.delete(f"{KV}/old").json() is False
    assert not KVEntry.objects.exists()


def test_the_scheduler_purges_expired_keys(db):
    namespace = "acme"
    services.kv_set(namespace=namespace, key="gone", kv_type=KVType.STRING, value="x", ttl=timedelta(hours=1))
    services.kv_set(namespace=namespace, key="kept", kv_type=KVType.STRING, value="y")
    assert services.kv_purge_expired(now=timezone.now() + timedelta(hours=2)) == 1
    assert list(KVEntry.objects.values_list("key", flat=True)) == ["kept"]
    KVEntry.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_expired() == 1  # the task celery beat runs every minute
    assert not KVEntry.objects.exists()


def test_delete_answers_whether_the_key_was_there(api):
    put(api, "k", "v")
    assert api.delete(f"{KV}/k").json() is True
    assert api.delete(f"{KV}/k").json() is False
    assert_problem(api.get(f"{KV}/k"), 404, "not-found")


def test_bulk_delete_answers_the_keys_that_were_there(api):
    for key in ("a", "b", "c"):
        put(api, key, "v")
    response = api.delete(KV, {"keys": ["c", "a", "ghost", "a"]}, format="json")
    assert response.json() == {"keys": ["c", "a"]}
    assert list(KVEntry.objects.values_list("key", flat=True)) == ["b"]


def test_search_filters_by_namespace_and_text_and_pages(api):
    for namespace, key in [("acme", "root"), ("acme.sales", "alpha"), ("acme.sales", "beta"), ("acmex", "other")]:
        put(api, key, "v", namespace=namespace)
    prefix = api.get("/api/v1/kv?filters[namespace][PREFIX]=acme&sort=key:desc&size=2")
    assert prefix.json()["total"] == 3 and prefix["X-Total-Count"] == "3"
    assert [entry["key"] for entry in prefix.json()["results"]] == ["root", "beta"]
    assert 'rel="next"' in prefix["Link"]
    exact = api.get("/api/v1/kv?filters[namespace][EQUALS]=acme.sales&filters[q][EQUALS]=alp").json()
    assert [(entry["namespace"], entry["key"]) for entry in exact["results"]] == [("acme.sales", "alpha")]
    legacy = api.get("/api/v1/kv?namespace=acme.sales").json()
    assert legacy["total"] == 2
    assert_problem(api.get("/api/v1/kv?filters[flowId][EQUALS]=x"), 400, "invalid-query-filters")
    assert_problem(api.get("/api/v1/kv?sort=value:asc"), 422, "invalid-sort")


def test_inheritance_lists_the_parents_keys_nearest_first(api):
    put(api, "shared", "root", namespace="acme")
    put(api, "only_root", "r", namespace="acme")
    put(api, "shared", "team", namespace="acme.sales")
    put(api, "own", "mine", namespace="acme.sales.eu")
    listed = api.get("/api/v1/namespaces/acme.sales.eu/kv/inheritance").json()
    assert [(entry["namespace"], entry["key"]) for entry in listed] == [
        ("acme.sales", "shared"),
        ("acme", "only_root"),
    ]


@pytest.mark.parametrize(
    ("key", "body", "headers", "status", "slug", "path"),
    [
        ("bad key", "v", {}, 422, "validation-failed", "key"),
        ("-leading", "v", {}, 422, "validation-failed", "key"),
        ("k" * 256, "v", {}, 422, "validation-failed", "key"),
        ("k", "v", {"HTTP_TTL": "an hour"}, 422, "validation-failed", "ttl"),
        ("k", "v", {"HTTP_TTL": "PT0S"}, 422, "validation-failed", "ttl"),
    ],
)
def test_bad_keys_and_headers_are_refused_naming_them_and_nothing_is_stored(
    api, key, body, headers, status, slug, path
):
    response = api.put(f"{KV}/{key}", body, content_type="text/plain", **headers)
    problem = assert_problem(response, status, slug)
    assert [error["path"] for error in problem["errors"]] == [path]
    assert not KVEntry.objects.exists()


def test_a_bad_namespace_is_refused(api):
    problem = assert_problem(put(api, "k", "v", namespace="Acme..Sales"), 422, "validation-failed")
    assert problem["errors"][0]["path"] == "namespace"
    assert not Namespace.objects.exists()


def test_a_value_over_the_limit_is_413_and_the_old_value_stays(api, settings):
    settings.FLOWHUB_KV_MAX_VALUE_BYTES = 100
    put(api, "k", "small")
    assert_problem(put(api, "k", "x" * 101), 413, "payload-too-large")
    assert_problem(put(api, "k", "y" * 100), 413, "payload-too-large")  # 100 bytes sent, 102 stored as JSON
    assert api.get(f"{KV}/k").json()["value"] == "small"


def test_bulk_delete_needs_a_list_of_keys(api):
    assert_problem(api.delete(KV, {"key": "a"}, format="json"), 400, "invalid-query-parameter")


def test_overwrite_false_refuses_a_live_key_but_replaces_an_expired_one(db):
    services.kv_set(namespace="acme", key="k", kv_type=KVType.STRING, value="first")
    with pytest.raises(Conflict, match="already exists"):
        services.kv_set(namespace="acme", key="k", kv_type=KVType.STRING, value="second", overwrite=False)
    KVEntry.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    services.kv_set(namespace="acme", key="k", kv_type=KVType.NUMBER, value=2, overwrite=False)
    assert (KVEntry.objects.get().type, KVEntry.objects.get().value) == ("NUMBER", 2)


def test_anonymous_callers_are_401(anonymous):
    assert_problem(anonymous.get(f"{KV}/k"), 401, "unauthenticated")
    assert_problem(anonymous.put(f"{KV}/k", "v", content_type="text/plain"), 401, "unauthenticated")


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_writers_end_with_one_of_their_values(owner):
    written = [f"value-{n}" for n in range(20)]

    def write(value: str) -> int:
        client = APIClient()
        client.force_authenticate(owner)
        try:
            return put(client, "race", value).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(write, written))
    assert statuses == [200] * 20
    (entry,) = KVEntry.objects.filter(key="race")
    assert entry.value in written and entry.revision == 20


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_without_overwrite_create_the_key_once():
    services.kv_set(namespace="acme", key="other", kv_type=KVType.STRING, value="x")  # the namespace exists

    def write(n: int) -> str:
        try:
            services.kv_set(namespace="acme", key="once", kv_type=KVType.NUMBER, value=n, overwrite=False)
            return "created"
        except Conflict:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(write, range(10)))
    assert sorted(outcomes) == ["conflict"] * 9 + ["created"]
    assert KVEntry.objects.get(key="once").revision == 1
