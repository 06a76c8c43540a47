"""The audit log: what people do through the API, the admin and commands is recorded once, with who, what, where
and the request's trace id; the system's own work is not; a failed write leaves no row; admins read the entries of
their namespaces through `GET /audit` and the admin, and nobody changes them."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from access.models import ApiToken, RoleBinding
from audit.actors import acting_as
from audit.models import AuditEntry
from audit.services import audit_purge, audit_record
from executions import executor
from executions.models import Execution, TaskRun
from executions.schedules import schedule_tick
from kv.models import KVEntry
from namespaces.models import Flow, Secret
from namespaces.services import flow_create
from tests.conftest import PASSWORD

from .clients import basic, user_with
from .drive import run_to_end
from .helpers import YAML, assert_problem, flow
from .namespace_files import upload, url

FLOW = (
    "id: hello\nnamespace: acme\ntasks:\n  - id: greet\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    "  - id: answer\n    type: io.kestra.plugin.core.debug.Return\n    format: done\n"
)
SECRET_VALUE = "s3cr3t-Value-Nobody-Guesses"
KV_VALUE = "kv-Value-Nobody-Guesses"
FILES = "/api/v1/namespaces/acme/files"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


class Recorder:
    """Checks that a response's request wrote exactly one entry, and that it says the right things."""

    def __init__(self, actor):
        self.actor = actor
        self.seen = 0

    def one(self, response, action: str, target: str, namespace: str = "acme", **detail) -> AuditEntry:
        assert response.status_code < 300, response.content
        self.seen += 1
        assert AuditEntry.objects.count() == self.seen, list(AuditEntry.objects.values_list("action", flat=True))
        entry = AuditEntry.objects.get(request_id=response["X-Request-ID"])
        assert (entry.actor_id, entry.actor_name, entry.via) == (self.actor.pk, self.actor.username, "api")
        assert (entry.action, entry.namespace, entry.target) == (action, namespace, target)
        assert entry.ip == "127.0.0.1"
        assert {key: entry.detail[key] for key in detail} == detail
        return entry


def test_each_action_through_the_api_is_recorded_once_with_who_what_where_and_the_request_id(api, owner):
    log = Recorder(owner)
    log.one(api.post("/api/v1/flows", FLOW, content_type=YAML), "flow.create", "hello", revision=1)
    log.one(api.put("/api/v1/flows/acme/hello", FLOW + "description: d\n", content_type=YAML), "flow.update", "hello")
    refs = [{"namespace": "acme", "id": "hello"}]
    disabled = api.post("/api/v1/flows/disable/by-ids", refs, format="json")
    log.one(disabled, "flow.update", "hello", revision=3, disabled=True)
    log.one(api.post("/api/v1/flows/enable/by-ids", refs, format="json"), "flow.update", "hello", disabled=False)
    duplicate = api.post("/api/v1/flows/acme/hello/duplicate", {"id": "copy"}, format="json")
    log.one(duplicate, "flow.create", "copy", revision=1)
    log.one(api.delete("/api/v1/flows/acme/copy"), "flow.delete", "copy")

    kv = api.put("/api/v1/namespaces/acme/kv/colour", json.dumps(KV_VALUE), content_type="application/json")
    log.one(kv, "kv.set", "colour", type="STRING", revision=1)
    log.one(api.delete("/api/v1/namespaces/acme/kv/colour"), "kv.delete", "colour")
    secret = api.post("/api/v1/namespaces/acme/secrets", {"key": "DB", "value": SECRET_VALUE}, format="json")
    log.one(secret, "secret.set", "DB", created=True)
    log.one(api.delete("/api/v1/namespaces/acme/secrets/DB"), "secret.delete", "DB")

    log.one(upload(api, FILES, "/notes.txt", b"first"), "file.write", "/notes.txt", revision=1, size=5)
    log.one(upload(api, FILES, "/notes.txt", b"second"), "file.write", "/notes.txt", revision=2)
    restored = api.post(url(FILES + "/restore", path="/notes.txt", revision=1))
    log.one(restored, "file.restore", "/notes.txt", revision=3, restored=1)
    moved = api.put(url(FILES, **{"from": "/notes.txt", "to": "/docs/notes.txt"}))
    log.one(moved, "file.move", "/notes.txt", to="/docs/notes.txt")
    log.one(api.post(url(FILES + "/directory", path="/empty")), "directory.create", "/empty")
    log.one(api.delete(url(FILES, path="/docs")), "file.delete", "/docs")

    created = api.post("/api/v1/executions/acme/hello", {}, format="multipart")
    execution_id = created.json()["id"]
    log.one(created, "execution.create", execution_id, flow="hello")
    executor.execution_advance(execution_id=execution_id)
    log.one(api.post(f"/api/v1/executions/{execution_id}/pause"), "execution.pause", execution_id)
    log.one(api.post(f"/api/v1/executions/{execution_id}/resume"), "execution.resume", execution_id)
    log.one(api.delete(f"/api/v1/executions/{execution_id}/kill"), "execution.kill", execution_id)
    assert run_to_end(execution_id).state == "KILLED"
    log.one(api.post(f"/api/v1/executions/{execution_id}/restart"), "execution.restart", execution_id)
    assert run_to_end(execution_id).state == "SUCCESS"
    replay = api.post(f"/api/v1/executions/{execution_id}/replay")
    log.one(replay, "execution.replay", execution_id, replay=replay.json()["id"])
    labels = api.post(f"/api/v1/executions/{execution_id}/labels", [{"key": "a", "value": "b"}], format="json")
    log.one(labels, "execution.label", execution_id)
    status = api.post(f"/api/v1/executions/{execution_id}/change-status?status=FAILED")
    log.one(status, "execution.status", execution_id, previous="SUCCESS", state="FAILED")
    executor.execution_advance(execution_id=replay.json()["id"])
    task_run = TaskRun.objects.get(execution_id=replay.json()["id"], task_id="greet")
    skip = api.post(f"/api/v1/executions/{task_run.execution_id}/taskruns/{task_run.id}/skip")
    log.one(skip, "taskrun.skip", task_run.execution_id, taskRun=task_run.id)
    log.one(api.delete(f"/api/v1/logs/{execution_id}"), "logs.delete", execution_id)
    log.one(api.delete(f"/api/v1/executions/{execution_id}"), "execution.delete", execution_id)
    log.one(api.delete("/api/v1/flows/acme/hello"), "flow.delete", "hello")

    everything = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert SECRET_VALUE not in everything and KV_VALUE not in everything


def test_what_people_do_to_triggers_is_recorded_and_what_stopafter_does_is_not(api, owner):
    scheduled = (
        FLOW + "triggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 3 * * *'\n"
    )
    assert api.post("/api/v1/flows", scheduled, content_type=YAML).status_code == 200
    log = Recorder(owner)
    log.seen = AuditEntry.objects.count()
    ref = {"namespace": "acme", "flowId": "hello", "triggerId": "nightly"}
    log.one(api.put("/api/v1/triggers", {**ref, "disabled": True}, format="json"), "trigger.disable", "hello.nightly")
    log.one(api.post("/api/v1/triggers/acme/hello/enable"), "trigger.enable", "hello.nightly")
    log.one(api.post("/api/v1/triggers/acme/hello/nightly/restart"), "trigger.restart", "hello.nightly")
    log.one(api.delete("/api/v1/triggers/acme/hello/nightly"), "trigger.reset", "hello.nightly")
    backfill = {**ref, "backfill": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}}
    log.one(
        api.put("/api/v1/triggers", backfill, format="json"),
        "trigger.backfill",
        "hello.nightly",
        start="2026-01-01T00:00:00Z",
        end="2026-01-02T00:00:00Z",
    )
    log.one(api.put("/api/v1/triggers/backfill/pause", ref, format="json"), "trigger.backfill.pause", "hello.nightly")
    log.one(
        api.put("/api/v1/triggers/backfill/unpause", ref, format="json"), "trigger.backfill.unpause", "hello.nightly"
    )
    log.one(
        api.post("/api/v1/triggers/backfill/delete", ref, format="json"), "trigger.backfill.delete", "hello.nightly"
    )
    assert api.post("/api/v1/triggers/acme/hello/nightly/unlock").status_code == 409  # refused: no row
    assert api.post("/api/v1/triggers/backfill/delete", ref, format="json").status_code == 409  # none left
    assert AuditEntry.objects.count() == log.seen


def test_the_request_id_a_caller_sends_is_the_one_recorded(api):
    response = api.post("/api/v1/flows", FLOW, content_type=YAML, HTTP_X_REQUEST_ID="deploy-42")
    assert response["X-Request-ID"] == "deploy-42"
    assert AuditEntry.objects.get().request_id == "deploy-42"


def test_a_bulk_kv_delete_records_each_key_that_was_there(api):
    for key in ("a", "b"):
        api.put(f"/api/v1/namespaces/acme/kv/{key}", "1", content_type="application/json")
    AuditEntry.objects.all().delete()
    response = api.delete("/api/v1/namespaces/acme/kv", {"keys": ["a", "b", "missing"]}, format="json")
    assert response.json() == {"keys": ["a", "b"]}
    assert sorted(AuditEntry.objects.values_list("action", "target")) == [("kv.delete", "a"), ("kv.delete", "b")]


def test_a_request_made_with_an_api_token_names_the_token(owner):
    token = ApiToken.objects.create(user=owner, name="ci", prefix="fh_abcdefgh", digest="0" * 64)
    client = APIClient()
    client.force_authenticate(user=owner, token=token)  # what the bearer authentication hands DRF
    assert client.post("/api/v1/flows", FLOW, content_type=YAML).status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.token_id, entry.token_prefix) == ("owner", token.pk, "fh_abcdefgh")


def test_the_systems_own_executions_write_no_row(api, anonymous):
    scheduled = flow("nightly", "acme") + (
        "triggers:\n  - id: every\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '* * * * *'\n"
        "  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: a-long-enough-key-1234\n"
    )
    assert api.post("/api/v1/flows", scheduled, content_type=YAML).status_code == 200
    AuditEntry.objects.all().delete()
    schedule_tick(now=datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC))
    assert schedule_tick(now=datetime(2026, 1, 1, 10, 1, 0, 100_000, tzinfo=UTC)) == 1
    hook = anonymous.post("/api/v1/executions/webhook/acme/nightly/a-long-enough-key-1234", {}, format="json")
    assert hook.status_code == 200, hook.content
    assert Execution.objects.count() == 2
    assert not AuditEntry.objects.exists()


def test_a_failed_write_writes_no_row(api):
    assert api.post("/api/v1/flows", FLOW, content_type=YAML).status_code == 200
    execution_id = api.post("/api/v1/executions/acme/hello", {}, format="multipart").json()["id"]
    executor.execution_advance(execution_id=execution_id)
    api.delete(f"/api/v1/executions/{execution_id}/kill")
    assert run_to_end(execution_id).state == "KILLED"
    before = AuditEntry.objects.count()
    # The restart is recorded before its revision is looked up; the 404 rolls the row back with the rest.
    assert_problem(api.post(f"/api/v1/executions/{execution_id}/restart?revision=9"), 404, "not-found")
    assert_problem(api.delete(f"/api/v1/executions/{execution_id}/kill"), 409, "conflict")
    renamed = FLOW.replace("hello", "other")
    assert_problem(api.put("/api/v1/flows/acme/hello", renamed, content_type=YAML), 422, "validation-failed")
    assert_problem(api.post("/api/v1/flows", FLOW, content_type=YAML), 409, "conflict")
    assert_problem(api.delete("/api/v1/namespaces/acme/secrets/NOPE"), 404, "not-found")
    assert AuditEntry.objects.count() == before


@pytest.fixture
def admin_client(db) -> Client:
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.login(username="root", password=PASSWORD)
    return client


def test_an_admin_edit_of_a_flow_is_recorded_as_done_in_the_admin(admin_client):
    response = admin_client.post("/admin/namespaces/flow/add/", {"source": FLOW})
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.via, entry.action, entry.namespace, entry.target) == (
        "root",
        "admin",
        "flow.create",
        "acme",
        "hello",
    )
    assert entry.request_id == response["X-Request-ID"]


def test_deletes_in_the_admin_go_through_the_services_and_are_recorded(api, admin_client):
    api.post("/api/v1/flows", FLOW, content_type=YAML)
    api.post("/api/v1/flows", FLOW.replace("id: hello", "id: other"), content_type=YAML)
    api.put("/api/v1/namespaces/acme/kv/colour", '"blue"', content_type="application/json")
    api.post("/api/v1/namespaces/acme/secrets", {"key": "DB", "value": SECRET_VALUE}, format="json")
    AuditEntry.objects.all().delete()
    one = Flow.objects.get(flow_id="other")
    assert admin_client.post(f"/admin/namespaces/flow/{one.pk}/delete/", {"post": "yes"}).status_code == 302
    for row in (Flow.objects.get(flow_id="hello"), KVEntry.objects.get(), Secret.objects.get()):
        action = {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
        response = admin_client.post(f"/admin/{row._meta.app_label}/{row._meta.model_name}/", action)
        assert response.status_code == 302, response.content.decode()[-2000:]
    recorded = AuditEntry.objects.order_by("at").values_list("actor_name", "via", "action", "namespace", "target")
    assert list(recorded) == [
        ("root", "admin", "flow.delete", "acme", "other"),
        ("root", "admin", "flow.delete", "acme", "hello"),
        ("root", "admin", "kv.delete", "acme", "colour"),
        ("root", "admin", "secret.delete", "acme", "DB"),
    ]
    assert all(Flow.objects.values_list("deleted", flat=True)) and Flow.objects.count() == 2
    assert not KVEntry.objects.exists() and not Secret.objects.exists()


def test_a_command_records_who_it_acts_for_and_nobody_is_not_recorded(owner):
    with acting_as(owner, via="cli"):
        flow_create(source=FLOW)
    flow_create(source=FLOW.replace("id: hello", "id: quiet"))
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.via, entry.target) == ("owner", "cli", "hello")
    assert (entry.request_id, entry.ip) == ("", None)


def test_the_detail_takes_scalars_only_so_that_no_value_slips_in_whole(owner):
    with acting_as(owner), pytest.raises(TypeError, match="'value' must be a JSON scalar"):
        audit_record(action="kv.set", namespace="acme", target="k", value={"nested": KV_VALUE})
    with acting_as(owner), pytest.raises(ValueError, match="not a valid AuditAction"):
        audit_record(action="flow.explode")


def test_an_entry_outlives_its_user(api, owner):
    api.post("/api/v1/flows", FLOW, content_type=YAML)
    owner.delete()
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.actor_name) == (None, "owner")


def entry(namespace: str, action: str = "flow.update", at: str = "2026-03-01T12:00:00", **fields) -> AuditEntry:
    moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
    return AuditEntry.objects.create(namespace=namespace, action=action, at=moment, via="api", **fields)


@pytest.fixture
def entries(db) -> dict[str, AuditEntry]:
    return {
        "acme": entry("acme", "flow.create", "2026-03-01T10:00:00", actor_name="ann", target="hello"),
        "acme.sales": entry("acme.sales", "kv.set", "2026-03-02T10:00:00", actor_name="bob", target="colour"),
        "acmeother": entry("acmeother", "flow.delete", "2026-03-03T10:00:00", actor_name="ann", target="hello"),
        "": entry("", "token.create", "2026-03-04T10:00:00", actor_name="ann", target="tok"),
    }


def listed(client: APIClient, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/audit{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == len(body["results"]) and response["X-Total-Count"] == str(body["total"])
    return [item.get("namespace", "") for item in body["results"]]


def test_a_superuser_sees_every_entry_newest_first_in_camel_case(api, entries):
    assert listed(api) == ["", "acmeother", "acme.sales", "acme"]
    assert listed(api, "?sort=at:asc") == ["acme", "acme.sales", "acmeother", ""]
    first = api.get("/api/v1/main/audit?size=1").json()
    assert first["total"] == 4
    assert first["results"] == [
        {
            "id": entries[""].id,
            "at": "2026-03-04T10:00:00.000000Z",
            "actor": "ann",
            "via": "api",
            "action": "token.create",
            "target": "tok",
            "detail": {},
        }
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?namespace=acme", ["acme.sales", "acme"]),
        ("?filters[namespace][EQUALS]=acme", ["acme"]),
        ("?filters[namespace][PREFIX]=acme.sales", ["acme.sales"]),
        ("?actor=ann", ["", "acmeother", "acme"]),
        ("?action=flow.", ["acmeother", "acme"]),
        ("?action=flow.create", ["acme"]),
        ("?filters[action][PREFIX]=flow", ["acmeother", "acme"]),
        ("?filters[action][IN]=kv.set,token.create", ["", "acme.sales"]),
        ("?target=hello", ["acmeother", "acme"]),
        ("?startDate=2026-03-02T00:00:00Z&endDate=2026-03-03T10:00:00Z", ["acmeother", "acme.sales"]),
        ("?filters[startDate][GREATER_THAN]=2026-03-03T10:00:00Z", [""]),
        ("?actor=ann&action=flow.", ["acmeother", "acme"]),
        ("?via=admin", []),
    ],
)
def test_the_list_filters(api, entries, query, expected):
    assert listed(api, query) == expected


def test_bad_filters_are_problems_naming_the_parameter(api, entries):
    body = assert_problem(api.get("/api/v1/audit?startDate=yesterday"), 422, "validation-failed")
    assert body["errors"][0]["path"] == "startDate"
    body = assert_problem(api.get("/api/v1/audit?filters[secret][EQUALS]=x"), 400, "invalid-query-filters")
    assert body["errors"][0]["path"] == "filters[secret][EQUALS]"
    assert_problem(api.get("/api/v1/audit?sort=detail:asc"), 422, "invalid-sort")


def test_a_namespace_admin_sees_their_namespaces_and_a_viewer_nothing(entries):
    RoleBinding.objects.create(user=user_with("admin"), namespace="acme", role="admin")
    RoleBinding.objects.create(user=user_with("viewer"), namespace="acme", role="viewer")
    RoleBinding.objects.create(user=user_with("editor"), namespace="", role="editor")
    assert listed(basic("admin")) == ["acme.sales", "acme"]
    assert listed(basic("admin"), "?namespace=acmeother") == []
    assert listed(basic("viewer")) == []
    assert listed(basic("editor")) == []
    assert APIClient().get("/api/v1/audit").status_code == 401


def test_the_list_takes_the_same_queries_however_many_entries(api, entries, django_assert_num_queries):
    api.get("/api/v1/audit")  # the basic credential is verified once
    with django_assert_num_queries(3):  # the user, the count, the page
        api.get("/api/v1/audit")
    for number in range(20):
        entry("acme", target=f"t{number}")
    with django_assert_num_queries(3):
        api.get("/api/v1/audit?size=50")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_a_namespace_admins_page_is_read_from_the_namespace_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT * FROM audit_auditentry WHERE namespace = 'acme' OR namespace LIKE 'acme.%%'"
            " ORDER BY at DESC LIMIT 10"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_by_namespace" in plan, plan


def test_the_admin_shows_staff_their_namespaces_entries_and_lets_nobody_change_them(entries, admin_client):
    staff = user_with("staffer", is_staff=True)
    RoleBinding.objects.create(user=staff, namespace="acme", role="admin")
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/audit/auditentry/")
    assert page.status_code == 200
    shown = {row.namespace for row in page.context["cl"].result_list}
    assert shown == {"acme", "acme.sales"}
    assert client.get(f"/admin/audit/auditentry/{entries['acmeother'].pk}/change/").status_code == 302  # not found
    assert client.get(f"/admin/audit/auditentry/{entries['acme'].pk}/change/").status_code == 200
    for who in (client, admin_client):
        assert who.get("/admin/audit/auditentry/add/").status_code == 403
        assert who.post(f"/admin/audit/auditentry/{entries['acme'].pk}/delete/", {"post": "yes"}).status_code == 403
    assert len(admin_client.get("/admin/audit/auditentry/").context["cl"].result_list) == 4
    assert AuditEntry.objects.count() == 4

    lone = user_with("lone", is_staff=True)
    client.force_login(lone)
    assert client.get("/admin/audit/auditentry/").status_code == 403


def test_the_purge_deletes_entries_past_the_retention_and_records_itself(settings, entries):
    settings.FLOWHUB_AUDIT_RETENTION_DAYS = 2
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert audit_purge(now=now) == 2
    kept = sorted(AuditEntry.objects.values_list("action", "via"))
    assert kept == [("audit.purge", "system"), ("flow.delete", "api"), ("token.create", "api")]
    purge = AuditEntry.objects.get(action="audit.purge")
    assert purge.detail == {"before": (now - timedelta(days=2)).isoformat(), "count": 2}
    settings.FLOWHUB_AUDIT_RETENTION_DAYS = 0
    assert audit_purge(now=now + timedelta(days=1000)) == 0
    assert AuditEntry.objects.count() == 3
