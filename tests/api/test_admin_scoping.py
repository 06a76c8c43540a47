"""The admin keeps to namespace roles for staff who are not superusers: a viewer of `acme` sees the rows of
`acme.sales` read-only, an editor changes them, and neither learns anything of `other`.

The staff user holds every model permission of the namespaced apps, so what they are refused is the roles'
doing. Everything of `acme.sales` is named "lion…", everything of `other` "zebra…".
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.admin import site
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from access.models import RoleBinding
from executions.models import Execution, LogEntry, TaskRun, Trigger
from executions.services import execution_create
from flowhub.engine.kv import KVType
from kv.models import KVEntry
from kv.services import kv_set
from namespaces.file_services import namespace_file_write
from namespaces.models import Flow, FlowRevision, Namespace, NamespaceFile, Secret
from namespaces.secrets import secret_set
from namespaces.services import flow_create, flow_update
from notifications.models import Delivery, Notification
from notifications.services import NotificationSpec, notification_create

from .drive import run_to_end

ACME, OTHER = "acme.sales", "other"
WORD = {ACME: "lion", OTHER: "zebra"}
APPS = ["namespaces", "kv", "executions", "notifications"]
OUT_OF_SIGHT = re.compile(r"zebra|\bother\b", re.IGNORECASE)  # anything of `other`, its name included


def source(namespace: str, description: str = "first") -> str:
    word = WORD[namespace]
    return (
        f"id: {word}\nnamespace: {namespace}\ndescription: {description}\ntasks:\n"
        f"  - id: {word}_says\n    type: io.kestra.plugin.core.log.Log\n    message: {word} says hi\n"
        f"triggers:\n  - id: {word}_tick\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 3 * * *'\n"
    )


@pytest.fixture(autouse=True)
def storage(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture(autouse=True)
def world(db) -> None:
    """In each namespace: a flow of two revisions with a trigger, a finished execution with its task run and
    log line, a notification and the delivery of that execution, a KV entry, a secret and a file."""
    for namespace, word in WORD.items():
        notification_create(
            spec=NotificationSpec(
                url=f"https://{word}.example.com", events=["execution.created"], namespaces=[namespace]
            )
        )
        flow_create(source=source(namespace))
        flow = flow_update(namespace=namespace, flow_id=word, source=source(namespace, "second"))
        run_to_end(execution_create(flow=flow, inputs={}, labels=[]).id)
        kv_set(namespace=namespace, key=f"{word}_key", kv_type=KVType.STRING, value=f"{word} value")
        secret_set(namespace=namespace, name=f"{word.upper()}_TOKEN", value=f"{word}-secret-value")
        namespace_file_write(namespace=namespace, path=f"/{word}.txt", content=ContentFile(f"{word} file".encode()))


def staff_user(role: str) -> Any:
    """A staff user with every model permission of the namespaced apps and `role` on `acme`."""
    user = get_user_model().objects.create_user("clerk", password="a long enough password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=APPS))
    RoleBinding.objects.create(user=user, namespace="acme", role=role)
    return user


def staff(role: str) -> Client:
    client = Client()
    client.force_login(staff_user(role))
    return client


@pytest.fixture
def viewer() -> Client:
    return staff("viewer")


@pytest.fixture
def editor() -> Client:
    return staff("editor")


def namespace_of(row: Any) -> str:
    if isinstance(row, Namespace):
        return row.id
    if isinstance(row, FlowRevision):
        return row.flow.namespace_id
    if isinstance(row, TaskRun | LogEntry):
        return row.execution.namespace
    if isinstance(row, Notification):
        return row.namespaces[0]
    if isinstance(row, Delivery):
        return row.namespace
    return row.namespace if isinstance(row.namespace, str) else row.namespace.id


def url(model: type, action: str = "", row: Any = None) -> str:
    meta = model._meta
    base = f"/admin/{meta.app_label}/{meta.model_name}/"
    return base + (f"{row.pk}/{action}/" if row is not None else action)


def row_in(model: type, namespace: str) -> Any:
    return next(row for row in model.objects.all() if namespace_of(row) == namespace)


SCOPED = [Flow, FlowRevision, Secret, NamespaceFile, KVEntry, Execution, TaskRun, LogEntry, Trigger]
MANAGED = [Notification, Delivery]  # an editor's of each of the notification's namespaces, whatever the role


@pytest.mark.parametrize("role", ["viewer", "editor"])
@pytest.mark.parametrize("model", [Namespace, *SCOPED, *MANAGED])
def test_a_list_shows_the_rows_of_the_namespaces_in_sight_only(model, role):
    page = staff(role).get(url(model))
    assert page.status_code == 200
    shown = {namespace_of(row) for row in page.context["cl"].result_list}
    if model is Namespace:
        assert shown == {"acme", ACME}
    elif model in MANAGED and role == "viewer":
        assert shown == set()
    else:
        assert shown == {ACME}
    assert not OUT_OF_SIGHT.search(page.content.decode())  # neither in the rows nor among the filters


@pytest.mark.parametrize("action", ["change", "history", "delete"])
@pytest.mark.parametrize("model", [*SCOPED, *MANAGED])
def test_a_row_out_of_sight_is_as_missing_and_nothing_of_it_shows(editor, model, action):
    row = row_in(model, OTHER)
    response = editor.get(url(model, action, row))
    if model is Trigger and action == "delete":
        assert response.status_code == 403  # nobody deletes a trigger row: refused before any lookup
        return
    assert (response.status_code, response["Location"]) == (302, "/admin/")  # Django's answer to a missing row
    page = editor.get("/admin/").content.decode()
    assert f"ID “{row.pk}” doesn’t exist. Perhaps it was deleted?" in page  # noqa: RUF001
    assert not OUT_OF_SIGHT.search(page)


@pytest.mark.parametrize("model", SCOPED)
def test_a_viewer_reads_a_row_on_a_page_without_a_save_button(viewer, model):
    page = viewer.get(url(model, "change", row_in(model, ACME)))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="_save"' not in text and "lion" in text.lower() and not OUT_OF_SIGHT.search(text)


def test_a_read_only_page_shows_what_the_forms_edit_but_never_a_secret(viewer):
    kv = viewer.get(url(KVEntry, "change", row_in(KVEntry, ACME))).content.decode()
    assert "lion value" in kv and ACME in kv
    flow = viewer.get(url(Flow, "change", row_in(Flow, ACME))).content.decode()
    assert "description: second" in flow
    secret = viewer.get(url(Secret, "change", row_in(Secret, ACME))).content.decode()
    assert ACME in secret and "lion-secret-value" not in secret


def test_a_viewer_cannot_save_or_delete_a_row(viewer):
    entry = row_in(KVEntry, ACME)
    form = {"type": "STRING", "text": "changed", "ttl": "", "description": ""}
    assert viewer.post(url(KVEntry, "change", entry), form).status_code == 403
    assert viewer.post(url(KVEntry, "delete", entry), {"post": "yes"}).status_code == 403
    assert KVEntry.objects.get(pk=entry.pk).value == "lion value"


def test_a_viewer_cannot_save_a_flow_or_disable_a_trigger(viewer):
    flow, trigger = row_in(Flow, ACME), row_in(Trigger, ACME)
    assert viewer.post(url(Flow, "change", flow), {"source": source(ACME, "third")}).status_code == 403
    assert viewer.post(url(Trigger, "change", trigger), {"disabled": "on"}).status_code == 403
    assert FlowRevision.objects.filter(flow=flow).count() == 2
    assert not Trigger.objects.get(pk=trigger.pk).disabled


def test_an_editor_saves_and_deletes_in_their_namespace(editor):
    entry, flow, trigger = row_in(KVEntry, ACME), row_in(Flow, ACME), row_in(Trigger, ACME)
    form = {"type": "STRING", "text": "changed", "ttl": "", "description": ""}
    assert editor.post(url(KVEntry, "change", entry), form).status_code == 302
    assert KVEntry.objects.get(pk=entry.pk).value == "changed"
    assert editor.post(url(Flow, "change", flow), {"source": source(ACME, "third")}).status_code == 302
    assert FlowRevision.objects.filter(flow=flow).count() == 3
    assert editor.post(url(Trigger, "change", trigger), {"disabled": "on"}).status_code == 302
    assert Trigger.objects.get(pk=trigger.pk).disabled
    secret = row_in(Secret, ACME)
    assert editor.post(url(Secret, "delete", secret), {"post": "yes"}).status_code == 302
    assert not Secret.objects.filter(pk=secret.pk).exists()


@pytest.mark.parametrize(("role", "disabled"), [("viewer", set()), ("editor", {ACME})])
def test_an_action_acts_on_the_selected_rows_the_user_edits_only(role, disabled):
    every = [str(pk) for pk in Trigger.objects.values_list("pk", flat=True)]  # `other`'s smuggled in
    form = {"action": "disable", "_selected_action": every}
    assert staff(role).post(url(Trigger), form).status_code == 302
    assert set(Trigger.objects.filter(disabled=True).values_list("namespace", flat=True)) == disabled


@pytest.mark.parametrize(("role", "left"), [("viewer", {ACME, OTHER}), ("editor", {OTHER})])
def test_a_bulk_delete_deletes_the_selected_rows_the_user_edits_only(role, left):
    every = [str(pk) for pk in KVEntry.objects.values_list("pk", flat=True)]
    form = {"action": "delete_selected", "post": "yes", "_selected_action": every}
    assert staff(role).post(url(KVEntry), form).status_code == 302
    assert set(KVEntry.objects.values_list("namespace", flat=True)) == left


def adds(namespace: str) -> list[tuple[type, dict[str, Any], str]]:
    """For each add form: what it posts to add something of `namespace`, and the field that names it."""
    flow = source(namespace).replace(f"id: {WORD[namespace]}\n", "id: new\n", 1)
    kv = {"namespace_name": namespace, "key": "new", "type": "STRING", "text": "x", "ttl": ""}
    secret = {"namespace_name": namespace, "name": "NEW", "value": "new-secret-value"}
    file = {"namespace": namespace, "path": "/new.txt", "file": SimpleUploadedFile("new.txt", b"x")}
    notification = {
        "url": "https://new.example.com",
        "namespace_prefixes": namespace,
        "event_names": ["execution.created"],
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
    }
    return [
        (KVEntry, kv, "namespace_name"),
        (Secret, secret, "namespace_name"),
        (NamespaceFile, file, "namespace"),
        (Flow, {"source": flow}, "source"),
        (Notification, notification, "namespace_prefixes"),
    ]


@pytest.mark.parametrize(("role", "namespace"), [("editor", OTHER), ("viewer", ACME), ("viewer", OTHER)])
@pytest.mark.parametrize("index", range(5))
def test_an_add_form_refuses_a_namespace_the_user_does_not_edit_at_its_field(role, namespace, index):
    model, form, field = adds(namespace)[index]
    before = model.objects.count()
    page = staff(role).post(url(model, "add/"), form)
    assert page.status_code == 200
    errors = page.context["adminform"].form.errors if "adminform" in page.context else page.context["form"].errors
    assert "editor role" in " ".join(errors[field])
    assert model.objects.count() == before


@pytest.mark.parametrize("index", range(5))
def test_an_editor_adds_in_their_namespace(editor, index):
    model, form, _ = adds(ACME)[index]
    before = model.objects.count()
    assert editor.post(url(model, "add/"), form).status_code == 302
    assert model.objects.count() > before


def test_the_diff_and_download_views_are_a_404_out_of_sight(viewer):
    for namespace, status in [(ACME, 200), (OTHER, 404)]:
        flow, file = row_in(Flow, namespace), row_in(NamespaceFile, namespace)
        assert viewer.get(f"{url(Flow, 'diff', flow)}?from=1&to=2").status_code == status
        assert viewer.get(url(NamespaceFile, "download", file)).status_code == status


@pytest.mark.parametrize("model", [Namespace, *SCOPED, *MANAGED])
def test_each_admin_judges_a_row_by_its_own_namespace(model):
    """The object checks alone, on rows no list would hand them (the pages above reach them through lists)."""
    request = RequestFactory().get("/admin/")
    request.user = staff_user("editor")
    model_admin = site._registry[model]
    for namespace, seen in [(ACME, True), (OTHER, False)]:
        row = Namespace.objects.get(pk=namespace) if model is Namespace else row_in(model, namespace)
        assert model_admin.has_view_permission(request, row) is seen
        assert model_admin.has_delete_permission(request, row) is (seen and model is not Trigger)
