"""Who may call what: every API endpoint by every kind of caller, from the one table below.

The data lives in `acme.sales`; the roles are bound on `acme` (inherited below it). For each caller and
endpoint the expected status follows from the endpoint's required role and how it refuses a caller out of
sight: an object there is a 404, a list leaves it out, a creation there is a 403. Every request runs in a
savepoint that is rolled back, so each one meets the same data; a refused request must leave the database
as it found it, and no answer to an outsider may mention the namespace.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import ApiToken, RoleBinding
from access.sessions import session_open
from access.tokens import token_create
from executions.models import Execution, LogEntry, TaskRun, Trigger
from kv.models import KVEntry
from namespaces.models import Flow, FlowRevision, NamespaceFile, Secret
from notifications.models import Delivery, Notification
from tests.conftest import PASSWORD

from .clients import basic
from .drive import run_to_end
from .helpers import YAML

NS = "acme.sales"
HOOK_KEY = "matrix-hook-key"
MARKER = b"only-for-acme-eyes"  # in a KV value, a namespace file, an execution's file and its log
FLOW = f"""id: hello
namespace: {NS}
inputs:
  - id: who
    type: STRING
    defaults: world
  - id: doc
    type: FILE
    required: false
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{MARKER.decode()} {{{{ inputs.who }}}}"
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 * * *"
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: {HOOK_KEY}
"""
COPY = FLOW.replace("id: hello", "id: hello_copy", 1)

# How an endpoint refuses a caller who cannot see the namespace.
HIDDEN = "hidden"  # 404, as if the object did not exist
FILTERED = "filtered"  # 200, leaving out what the caller may not see or act on
MANAGED = "managed"  # 404 for all but those with the role: only they know of it
REFUSED = "refused"  # 403: creating something there
EVERYWHERE = "everywhere"  # the role must hold on every namespace (only superusers here): 403 for all others
ANYONE = "anyone"  # any authenticated caller
PUBLIC = "public"  # anyone at all: the credential is in the body


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    role: str  # viewer, executor, editor, admin
    ok: int  # the status of a caller allowed to
    scope: str = HIDDEN
    body: object = None
    content_type: str | None = None  # JSON when there is a body, unless given

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


E = Endpoint
FLOW_PATH = f"/api/v1/flows/{NS}/hello"
KV_PATH = f"/api/v1/namespaces/{NS}/kv"
FILES = f"/api/v1/namespaces/{NS}/files"
SECRETS = f"/api/v1/namespaces/{NS}/secrets"
TRIGGERS = f"/api/v1/triggers/{NS}/hello"
REF = [{"namespace": NS, "id": "hello"}]
TRIGGER_REF = {"namespace": NS, "flowId": "hello", "triggerId": "nightly"}

ENDPOINTS = [
    # Flows
    E("POST", "/api/v1/flows", "editor", 200, REFUSED, COPY, YAML),
    E("GET", "/api/v1/flows/search", "viewer", 200, FILTERED),
    E("POST", "/api/v1/flows/validate", "viewer", 200, ANYONE, FLOW, YAML),
    E("GET", "/api/v1/flows/distinct-namespaces", "viewer", 200, FILTERED),
    E("POST", "/api/v1/flows/disable/by-ids", "editor", 200, HIDDEN, REF),
    E("POST", "/api/v1/flows/enable/by-ids", "editor", 200, HIDDEN, REF),
    E("GET", f"/api/v1/flows/{NS}", "viewer", 200),
    E("GET", FLOW_PATH, "viewer", 200),
    E("PUT", FLOW_PATH, "editor", 200, HIDDEN, FLOW.replace("world", "you"), YAML),
    E("DELETE", FLOW_PATH, "editor", 204),
    E("GET", f"{FLOW_PATH}/revisions", "viewer", 200),
    E("POST", f"{FLOW_PATH}/duplicate", "editor", 200, HIDDEN, {"id": "hello_twin"}),
    # Namespaces
    E("GET", "/api/v1/namespaces/search", "viewer", 200, FILTERED),
    E("GET", f"/api/v1/namespaces/{NS}", "viewer", 200),
    E("GET", f"/api/v1/namespaces/{NS}/tree", "viewer", 200),
    # Namespace files
    E("GET", f"{FILES}?path=/hello.txt", "viewer", 200),
    E("POST", f"{FILES}?path=/new.txt", "editor", 200, HIDDEN, {"fileContent": b"new"}, "multipart"),
    E("PUT", f"{FILES}?from=/hello.txt&to=/moved.txt", "editor", 200),
    E("DELETE", f"{FILES}?path=/hello.txt", "editor", 200),
    E("GET", f"{FILES}/directory?path=/", "viewer", 200),
    E("POST", f"{FILES}/directory?path=/made", "editor", 200),
    E("GET", f"{FILES}/stats?path=/hello.txt", "viewer", 200),
    E("GET", f"{FILES}/export", "viewer", 200),
    E("GET", f"{FILES}/search?q=hello", "viewer", 200),
    E("GET", f"{FILES}/revisions?path=/hello.txt", "viewer", 200),
    E("POST", f"{FILES}/restore?path=/hello.txt&revision=1", "editor", 200),
    # Secrets
    E("GET", SECRETS, "viewer", 200),
    E("POST", SECRETS, "editor", 201, HIDDEN, {"key": "NEW", "value": "s3cret-value"}),
    E("GET", f"{SECRETS}/API_KEY", "viewer", 200),
    E("PUT", f"{SECRETS}/API_KEY", "editor", 200, HIDDEN, {"value": "another-value"}),
    E("DELETE", f"{SECRETS}/API_KEY", "editor", 204),
    # KV
    E("GET", "/api/v1/kv", "viewer", 200, FILTERED),
    E("GET", KV_PATH, "viewer", 200),
    E("DELETE", KV_PATH, "editor", 200, HIDDEN, {"keys": ["greeting"]}),
    E("GET", f"{KV_PATH}/inheritance", "viewer", 200),
    E("GET", f"{KV_PATH}/greeting", "viewer", 200),
    E("PUT", f"{KV_PATH}/greeting", "editor", 200, HIDDEN, '"hi"', "application/json"),
    E("DELETE", f"{KV_PATH}/greeting", "editor", 200),
    # Executions: {created} has not started, {ended} ran to SUCCESS. Deletions keep the files: a rolled-back
    # savepoint would not bring them back for the rows after.
    E("POST", f"/api/v1/executions/{NS}/hello", "executor", 200, HIDDEN, {"who": "matrix"}, "multipart"),
    E("POST", f"/api/v1/executions/trigger/{NS}/hello", "executor", 200, HIDDEN, {"who": "x"}, "multipart"),
    E("POST", f"/api/v1/executions/{NS}/hello/validate", "executor", 200, HIDDEN, {"who": "x"}, "multipart"),
    E("GET", f"/api/v1/executions?namespace={NS}&flowId=hello", "viewer", 200, FILTERED),
    E("GET", "/api/v1/executions/search", "viewer", 200, FILTERED),
    E("GET", "/api/v1/executions/{ended}", "viewer", 200),
    E("POST", "/api/v1/executions/latest", "viewer", 200, FILTERED, REF),
    E("GET", "/api/v1/executions/namespaces", "executor", 200, FILTERED),
    E("GET", f"/api/v1/executions/namespaces/{NS}/flows", "executor", 200),
    E("GET", f"/api/v1/executions/flows/{NS}/hello?revision=1", "viewer", 200),
    E("GET", "/api/v1/executions/{ended}/flow", "viewer", 200),
    E("DELETE", "/api/v1/executions/{ended}?deleteStorage=false", "editor", 200),
    E("DELETE", "/api/v1/executions/by-ids?deleteStorage=false", "editor", 200, FILTERED, ["{ended}"]),
    E(
        "DELETE",
        f"/api/v1/executions/by-query?filters[namespace][EQUALS]={NS}&deleteStorage=false",
        "editor",
        200,
        FILTERED,
    ),
    E("DELETE", "/api/v1/executions/kill/by-ids", "executor", 200, FILTERED, ["{created}"]),
    E("DELETE", f"/api/v1/executions/kill/by-query?filters[namespace][EQUALS]={NS}", "executor", 200, FILTERED),
    E("DELETE", "/api/v1/executions/{created}/kill", "executor", 202),
    E("DELETE", "/api/v1/executions/{created}/actions/kill", "executor", 200),
    E("POST", "/api/v1/executions/{created}/pause", "executor", 409),
    E("POST", "/api/v1/executions/{created}/actions/pause", "executor", 409),
    E("POST", "/api/v1/executions/{created}/resume", "executor", 409),
    E("POST", "/api/v1/executions/{created}/actions/resume", "executor", 409),
    E("POST", "/api/v1/executions/{created}/resume/validate", "executor", 409),
    E("POST", "/api/v1/executions/pause/by-ids", "executor", 200, FILTERED, ["{created}"]),
    E("POST", f"/api/v1/executions/pause/by-query?filters[namespace][EQUALS]={NS}", "executor", 200, FILTERED),
    E("POST", "/api/v1/executions/resume/by-ids", "executor", 200, FILTERED, ["{created}"]),
    E("POST", f"/api/v1/executions/resume/by-query?filters[namespace][EQUALS]={NS}", "executor", 200, FILTERED),
    E("POST", "/api/v1/executions/replay/by-ids", "executor", 200, FILTERED, ["{ended}"]),
    E("POST", f"/api/v1/executions/replay/by-query?filters[namespace][EQUALS]={NS}", "executor", 200, FILTERED),
    E(
        "POST",
        "/api/v1/executions/labels/by-ids",
        "executor",
        200,
        FILTERED,
        {"executionsId": ["{ended}"], "executionLabels": [{"key": "k", "value": "v"}]},
    ),
    E(
        "POST",
        f"/api/v1/executions/labels/by-query?filters[namespace][EQUALS]={NS}",
        "executor",
        200,
        FILTERED,
        [{"key": "k", "value": "v"}],
    ),
    E("POST", "/api/v1/executions/restart/by-ids", "executor", 200, FILTERED, ["{ended}"]),
    E("POST", f"/api/v1/executions/restart/by-query?filters[namespace][EQUALS]={NS}", "executor", 200, FILTERED),
    E("POST", "/api/v1/executions/{ended}/restart", "executor", 422),
    E("POST", "/api/v1/executions/{ended}/actions/restart", "executor", 422),
    E("POST", "/api/v1/executions/{ended}/replay", "executor", 200),
    E("POST", "/api/v1/executions/{ended}/actions/replay", "executor", 200),
    E("POST", "/api/v1/executions/{ended}/replay-with-inputs", "executor", 200, HIDDEN, {}, "multipart"),
    E("POST", "/api/v1/executions/{ended}/actions/replay-with-inputs", "executor", 200, HIDDEN, {}, "multipart"),
    E("POST", "/api/v1/executions/{ended}/taskruns/{task_run}/skip", "executor", 409),
    E("POST", "/api/v1/executions/{ended}/labels", "executor", 200, HIDDEN, [{"key": "team", "value": "a"}]),
    E("POST", "/api/v1/executions/{ended}/actions/labels", "executor", 200, HIDDEN, [{"key": "k", "value": "v"}]),
    E("POST", "/api/v1/executions/{ended}/change-status?status=FAILED", "executor", 200),
    E("POST", "/api/v1/executions/{ended}/actions/change-status?status=WARNING", "executor", 200),
    E("POST", "/api/v1/executions/change-status/by-ids?newStatus=FAILED", "executor", 200, FILTERED, ["{ended}"]),
    E(
        "POST",
        f"/api/v1/executions/change-status/by-query?newStatus=FAILED&filters[namespace][EQUALS]={NS}",
        "executor",
        200,
        FILTERED,
    ),
    E("POST", "/api/v1/executions/{created}/unqueue", "executor", 409),
    E("POST", "/api/v1/executions/{created}/actions/unqueue?state=CANCELLED", "executor", 409),
    E("POST", "/api/v1/executions/unqueue/by-ids?state=FAILED", "executor", 200, FILTERED, ["{created}"]),
    E("POST", f"/api/v1/executions/unqueue/by-query?filters[namespace][EQUALS]={NS}", "executor", 200, FILTERED),
    E("POST", "/api/v1/executions/{created}/force-run", "executor", 200),
    E("POST", "/api/v1/executions/{created}/actions/force-run", "executor", 200),
    E("POST", "/api/v1/executions/force-run/by-ids", "executor", 200, FILTERED, ["{created}"]),
    E("POST", f"/api/v1/executions/force-run/by-query?filters[namespace][EQUALS]={NS}", "executor", 200, FILTERED),
    E("GET", "/api/v1/executions/{ended}/taskruns/{task_run}/outputs", "viewer", 200),
    E("GET", "/api/v1/executions/{ended}/file?path={file}", "viewer", 200),
    E("GET", "/api/v1/executions/{ended}/file/metas?path={file}", "viewer", 200),
    E("GET", "/api/v1/executions/{ended}/follow", "viewer", 200),
    E("POST", "/api/v1/executions/{ended}/eval", "editor", 200, HIDDEN, "{{ inputs.who }}", "text/plain"),
    E("POST", "/api/v1/executions/{ended}/eval/{task_run}", "editor", 200, HIDDEN, "{{ taskrun.id }}", "text/plain"),
    E("GET", "/api/v1/outputs/executions/{ended}", "viewer", 200),
    E("GET", "/api/v1/outputs/tasks/{ended}", "viewer", 200),
    E("GET", "/api/v1/outputs/tasks/{ended}/{task_run}", "viewer", 200),
    # Logs
    E("GET", "/api/v1/logs/search", "viewer", 200, FILTERED),
    E("GET", "/api/v1/logs/{ended}", "viewer", 200),
    E("GET", "/api/v1/logs/{ended}/download", "viewer", 200),
    E("GET", "/api/v1/logs/{ended}/follow", "viewer", 200),
    E("DELETE", "/api/v1/logs/{ended}", "editor", 200),
    E("DELETE", f"/api/v1/logs/{NS}/hello", "editor", 200),
    # Stats
    E("GET", "/api/v1/stats/executions", "viewer", 200, FILTERED),
    # Triggers
    E("GET", "/api/v1/triggers/search", "viewer", 200, FILTERED),
    E("PUT", "/api/v1/triggers", "editor", 200, HIDDEN, {**TRIGGER_REF, "disabled": True}),
    E(
        "POST",
        "/api/v1/triggers/set-disabled/by-triggers",
        "editor",
        200,
        FILTERED,
        {"triggers": [TRIGGER_REF], "disabled": True},
    ),
    E("POST", f"/api/v1/triggers/set-disabled/by-query?namespace={NS}", "editor", 200, FILTERED),
    E("GET", TRIGGERS, "viewer", 200),
    E("POST", f"{TRIGGERS}/disable", "editor", 200),
    E("POST", f"{TRIGGERS}/enable", "editor", 200),
    E("POST", f"{TRIGGERS}/nightly/unlock", "executor", 409),
    E("POST", f"{TRIGGERS}/nightly/restart", "editor", 200),
    E("POST", "/api/v1/triggers/unlock/by-triggers", "executor", 200, FILTERED, [TRIGGER_REF]),
    E("POST", f"/api/v1/triggers/unlock/by-query?namespace={NS}", "executor", 200, FILTERED),
    E("PUT", "/api/v1/triggers/set-disabled", "editor", 200, HIDDEN, {**TRIGGER_REF, "disabled": True}),
    E("DELETE", f"{TRIGGERS}/nightly", "editor", 204),
    E("DELETE", "/api/v1/triggers/delete/by-triggers", "editor", 200, FILTERED, [TRIGGER_REF]),
    E("DELETE", f"/api/v1/triggers/delete/by-query?namespace={NS}", "editor", 200, FILTERED),
    # Backfills: the world runs one on `nightly`
    E(
        "PUT",
        "/api/v1/triggers",
        "executor",
        200,
        HIDDEN,
        {**TRIGGER_REF, "backfill": {"start": "2026-01-01T00:00:00Z"}},
    ),
    E(
        "PUT",
        "/api/v1/triggers/backfill/create",
        "executor",
        200,
        HIDDEN,
        {**TRIGGER_REF, "backfill": {"start": "2026-01-01T00:00:00Z"}},
    ),
    E("PUT", "/api/v1/triggers/backfill/pause", "executor", 200, HIDDEN, TRIGGER_REF),
    E("PUT", "/api/v1/triggers/backfill/unpause", "executor", 200, HIDDEN, TRIGGER_REF),
    E("POST", "/api/v1/triggers/backfill/delete", "executor", 200, HIDDEN, TRIGGER_REF),
    *(
        E("POST", f"/api/v1/triggers/backfill/{action}/by-triggers", "executor", 200, FILTERED, [TRIGGER_REF])
        for action in ("pause", "unpause", "delete")
    ),
    *(
        E("POST", f"/api/v1/triggers/backfill/{action}/by-query?namespace={NS}", "executor", 200, FILTERED)
        for action in ("pause", "unpause", "delete")
    ),
    # Notifications
    E("GET", "/api/v1/notifications", "editor", 200, FILTERED),
    E(
        "POST",
        "/api/v1/notifications",
        "editor",
        201,
        REFUSED,
        {"url": "http://127.0.0.1:9/hook", "namespaces": [NS], "events": ["execution.failed"]},
    ),
    E("GET", "/api/v1/notifications/{notification}", "editor", 200, MANAGED),
    E(
        "PUT",
        "/api/v1/notifications/{notification}",
        "editor",
        200,
        MANAGED,
        {"url": "http://127.0.0.1:9/other", "namespaces": [NS], "events": ["execution.killed"]},
    ),
    E("DELETE", "/api/v1/notifications/{notification}", "editor", 204, MANAGED),
    E("GET", "/api/v1/notifications/{notification}/deliveries", "editor", 200, MANAGED),
    E("POST", "/api/v1/notifications/{notification}/test", "editor", 202, MANAGED),
    E("POST", "/api/v1/notifications/{notification}/deliveries/{delivery}/redeliver", "editor", 202, MANAGED),
    # Roles
    E("GET", "/api/v1/roles", "viewer", 200, FILTERED),
    E("POST", "/api/v1/roles", "admin", 201, REFUSED, {"namespace": NS, "role": "viewer", "user": "outsider"}),
    E("GET", "/api/v1/roles/{binding}", "admin", 200, MANAGED),
    E("PUT", "/api/v1/roles/{binding}", "admin", 200, MANAGED, {"role": "editor"}),
    E("DELETE", "/api/v1/roles/{binding}", "admin", 204, MANAGED),
    # Tokens: {token} belongs to newcomer, narrowed to acme.sales, so acme's admins manage it
    E("GET", "/api/v1/tokens", "viewer", 200, ANYONE),
    E("POST", "/api/v1/tokens", "viewer", 201, ANYONE, {"name": "mine"}),
    E("GET", "/api/v1/tokens/{token}", "admin", 200, MANAGED),
    E("DELETE", "/api/v1/tokens/{token}", "admin", 204, MANAGED),
    # Sessions: the credential is in the body, or the caller's own
    E("POST", "/api/v1/auth/login", "viewer", 200, PUBLIC, {"username": "newcomer", "password": PASSWORD}),
    E("POST", "/api/v1/auth/refresh", "viewer", 200, PUBLIC, {"token": "{session}"}),
    E("POST", "/api/v1/auth/validate", "viewer", 200, PUBLIC, {"token": "{session}"}),
    E("POST", "/api/v1/auth/check-access", "viewer", 200, ANYONE, {"namespace": NS, "action": "execute"}),
    E("POST", "/api/v1/auth/logout", "viewer", 204, ANYONE),
    E("GET", "/api/v1/me", "viewer", 200, ANYONE),
    # Audit log
    E("GET", "/api/v1/audit", "admin", 200, FILTERED),
    # Server-wide
    E("GET", "/api/v1/plugins", "viewer", 200, ANYONE),
    E("GET", "/api/v1/plugins/io.kestra.plugin.core.log.Log", "viewer", 200, ANYONE),
    E("GET", "/metrics", "viewer", 200, EVERYWHERE),
]

ROLES = ("viewer", "executor", "editor", "admin")
PERSONAS = ("anonymous", *ROLES, "other-namespace editor", "expired token", "revoked token")


@pytest.fixture
def world(api, db, django_capture_on_commit_callbacks):
    """The data of acme.sales, made through the API by a superuser; and one caller per persona."""
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/v1/flows", FLOW, content_type=YAML).status_code == 200
        started = api.post(f"/api/v1/executions/{NS}/hello", {"doc": _file(MARKER)}, format="multipart").json()
    run_to_end(started["id"])
    created = api.post(f"/api/v1/executions/{NS}/hello", {}, format="multipart").json()["id"]
    backfill = {**TRIGGER_REF, "backfill": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}}
    assert api.put("/api/v1/triggers", backfill, format="json").status_code == 200
    kv_value = f'"{MARKER.decode()}"'
    assert api.put(f"{KV_PATH}/greeting", kv_value, content_type="application/json").status_code == 200
    assert api.post(SECRETS, {"key": "API_KEY", "value": "v3ry-secret"}, format="json").status_code == 201
    upload = api.post(f"{FILES}?path=/hello.txt", {"fileContent": _file(MARKER)}, format="multipart")
    assert upload.status_code == 200, upload.content
    notification = api.post(
        "/api/v1/notifications",
        {"url": "http://127.0.0.1:9/hook", "namespaces": [NS], "events": ["execution.failed"]},
        format="json",
    ).json()["id"]
    users = get_user_model().objects
    newcomer = users.create_user("newcomer", password=PASSWORD)
    binding = RoleBinding.objects.create(user=newcomer, namespace=NS, role="viewer")
    callers = {"anonymous": APIClient()}
    for role in ROLES:
        RoleBinding.objects.create(user=users.create_user(role, password=PASSWORD), namespace="acme", role=role)
        callers[role] = basic(role)
    outsider = users.create_user("outsider", password=PASSWORD)
    RoleBinding.objects.create(user=outsider, namespace="other", role="editor")
    callers["other-namespace editor"] = basic("outsider")
    admin = users.get(username="admin")
    callers["expired token"] = _bearer(admin, expires_at=timezone.now() - timedelta(minutes=1))
    callers["revoked token"] = _bearer(admin, revoked_at=timezone.now())
    values = {
        "ended": started["id"],
        "created": created,
        "task_run": TaskRun.objects.filter(execution_id=started["id"]).values_list("pk", flat=True).first(),
        "notification": notification,
        "binding": binding.pk,
        "file": started["inputs"]["doc"],
        "delivery": Delivery.objects.create(
            notification_id=notification, event="execution.failed", payload={"id": "d"}, status="FAILED"
        ).pk,
        "token": token_create(user=newcomer, name="ci", bindings=[(NS, "viewer")], created_by=None)[0].pk,
        "session": session_open(user=newcomer)[1],
    }
    return callers, values


def _file(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("doc.txt", content)


def _bearer(user, **fields) -> APIClient:
    secret = f"fh_matrix{fields}"
    digest = hashlib.sha256(secret.encode()).hexdigest()
    ApiToken.objects.create(user=user, name="matrix", prefix=secret[:10], digest=digest, **fields)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def allowed(persona: str, endpoint: Endpoint) -> bool:
    """Whether the persona holds the endpoint's role where the data is."""
    return persona in ROLES and ROLES.index(persona) >= ROLES.index(endpoint.role)


def expected_status(persona: str, endpoint: Endpoint) -> int:
    if endpoint.scope == PUBLIC:
        return endpoint.ok
    if persona in ("anonymous", "expired token", "revoked token"):
        return 401
    if endpoint.scope == EVERYWHERE:
        return 403
    if endpoint.scope in (ANYONE, FILTERED) or allowed(persona, endpoint):
        return endpoint.ok
    if endpoint.scope == MANAGED or persona == "other-namespace editor":
        return {REFUSED: 403}.get(endpoint.scope, 404)
    return 403  # sees the namespace, with too low a role


def leaks(response, values: dict[str, object], request_path: str) -> list[str]:
    """What of acme.sales an answer to an outsider shows that the request did not itself name."""
    shown = b"".join(response.streaming_content) if response.streaming else response.content
    found = [MARKER.decode()] if MARKER in shown else []
    found += [
        str(value)
        for name, value in values.items()
        if name in ("ended", "created", "notification", "token")
        and str(value) not in request_path
        and str(value).encode() in shown
    ]
    return found


def fingerprint() -> tuple:
    """What a request may change, in every model it could reach."""
    return (
        list(Flow.objects.order_by("pk").values_list("pk", "deleted", "current_id")),
        FlowRevision.objects.count(),
        list(Execution.objects.order_by("pk").values_list("pk", "state", "labels")),
        LogEntry.objects.count(),
        list(KVEntry.objects.order_by("pk").values_list("pk", "key", "value", "updated_at")),
        list(NamespaceFile.objects.order_by("pk").values_list("pk", "path", "updated_at")),
        list(Secret.objects.order_by("pk").values_list("pk", "name", "updated_at")),
        list(
            Trigger.objects.order_by("pk").values_list(
                "pk", "disabled", "next_date", "last_execution_id", "backfill_id", "backfill_paused"
            )
        ),
        list(Notification.objects.order_by("pk").values_list("pk", "url", "updated_at")),
        Delivery.objects.count(),
        list(RoleBinding.objects.order_by("pk").values_list("pk", "role")),
    )


def call(client: APIClient, endpoint: Endpoint, values: dict[str, object]):
    path = endpoint.path.format(**values)
    body = _filled(endpoint.body, values) if isinstance(endpoint.body, (list, dict)) else endpoint.body
    if body is None:
        return client.generic(endpoint.method, path)
    if endpoint.content_type == "multipart":
        parts = {name: _file(value) if isinstance(value, bytes) else value for name, value in body.items()}
        return getattr(client, endpoint.method.lower())(path, parts, format="multipart")
    if endpoint.content_type is not None:
        return client.generic(endpoint.method, path, body, content_type=endpoint.content_type)
    return getattr(client, endpoint.method.lower())(path, body, format="json")


def _filled(value, values: dict[str, object]):
    """A JSON body with the `{name}`s of its texts filled in."""
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, list):
        return [_filled(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _filled(item, values) for key, item in value.items()}
    return value


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_endpoint_answers_each_caller_as_its_role_allows(world, persona):
    callers, values = world
    mismatches = []
    for endpoint in ENDPOINTS:
        want = expected_status(persona, endpoint)
        refused = not allowed(persona, endpoint) and endpoint.scope != ANYONE
        with transaction.atomic():
            before = fingerprint() if refused else None
            response = call(callers[persona], endpoint, values)
            got = response.status_code
            if got != want:
                mismatches.append(f"{endpoint}: {got}, expected {want}: {response.content[:200]!r}")
            elif refused and fingerprint() != before:
                mismatches.append(f"{endpoint}: answered {got} to a caller without the role, and changed the database")
            elif persona == "other-namespace editor" and (
                shown := leaks(response, values, endpoint.path.format(**values))
            ):
                mismatches.append(f"{endpoint}: an outsider was shown {shown}")
            transaction.set_rollback(True)
    assert not mismatches, "\n".join(mismatches)


def test_the_table_covers_every_api_route():
    """A new endpoint cannot be forgotten here: each route of the API has its row (webhooks are called by key,
    without a user: tests/api/test_webhooks.py is theirs)."""
    covered = {resolve(endpoint.path.split("?")[0].format(**SAMPLE)).route for endpoint in ENDPOINTS}
    routes = {
        route
        for route in _routes(get_resolver().url_patterns)
        if route.startswith("api/v1/") and not route.startswith(("api/v1/main/", "api/v1/executions/webhook/"))
    }
    assert routes - covered == set()


SAMPLE = {
    "delivery": "d1",
    "token": "t1",
    "ended": "e1",
    "created": "e2",
    "task_run": "t1",
    "notification": "n1",
    "binding": 1,
    "file": "kestra:///x",
}


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)
