"""Flows edited as YAML in the admin, with the API's validation; revision diffs; the namespace tree."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from namespaces.models import Flow, FlowRevision
from tests.engine.flows import HELLO, NOT_RUNNABLE_TASK


@pytest.fixture
def admin_client(db) -> Client:
    get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client = Client()
    client.login(username="root", password="pw-for-tests")
    return client


def test_a_flow_is_created_from_yaml_in_the_admin(admin_client):
    response = admin_client.post("/admin/namespaces/flow/add/", {"source": HELLO})
    assert response.status_code == 302, response.content.decode()[-2000:]
    flow = Flow.objects.get(flow_id="hello")
    assert (flow.namespace_id, flow.current.revision, flow.current.source) == ("acme.sales", 1, HELLO)


def test_an_invalid_flow_shows_each_error_with_path_and_line_and_saves_nothing(admin_client):
    source = HELLO.replace("io.kestra.plugin.core.debug.Return", "io.kestra.plugin.core.debug.Nope")
    response = admin_client.post("/admin/namespaces/flow/add/", {"source": source})
    assert response.status_code == 200
    page = response.content.decode()
    assert "tasks[1].type: invalid type: unknown task type &#x27;io.kestra.plugin.core.debug.Nope&#x27;" in page
    assert "(line 17, column 11)" in page
    assert not Flow.objects.exists()


def test_saving_a_flow_flowhub_cannot_run_yet_warns_with_each_place(admin_client):
    source = HELLO.replace("tasks:\n", "tasks:\n" + NOT_RUNNABLE_TASK)
    response = admin_client.post("/admin/namespaces/flow/add/", {"source": source}, follow=True)
    page = response.content.decode()
    assert "Saved, but flowhub cannot run this flow yet:" in page
    assert "tasks[0].cache: flowhub does not apply a task&#x27;s &#x27;cache&#x27; yet" in page
    assert "(line 15, column 12)" in page
    assert Flow.objects.get().current.source == source
    plain = admin_client.post(
        "/admin/namespaces/flow/add/", {"source": HELLO.replace("id: hello", "id: plain")}, follow=True
    )
    assert "cannot run this flow" not in plain.content.decode()


def test_editing_makes_a_revision_and_the_diff_page_shows_the_change(admin_client):
    admin_client.post("/admin/namespaces/flow/add/", {"source": HELLO})
    flow = Flow.objects.get()
    changed = HELLO.replace("Greets someone.", "Greets anyone.")
    assert admin_client.post(f"/admin/namespaces/flow/{flow.pk}/change/", {"source": changed}).status_code == 302
    assert list(FlowRevision.objects.filter(flow=flow).values_list("revision", flat=True).order_by("revision")) == [
        1,
        2,
    ]
    change_page = admin_client.get(f"/admin/namespaces/flow/{flow.pk}/change/").content.decode()
    assert "Greets anyone." in change_page and "revision 1 → 2" in change_page
    diff = admin_client.get(f"/admin/namespaces/flow/{flow.pk}/diff/?from=1&to=2").content.decode()
    assert "-description: Greets someone." in diff and "+description: Greets anyone." in diff


def test_the_id_and_namespace_cannot_change_in_the_admin(admin_client):
    admin_client.post("/admin/namespaces/flow/add/", {"source": HELLO})
    flow = Flow.objects.get()
    moved = HELLO.replace("namespace: acme.sales", "namespace: acme.other")
    response = admin_client.post(f"/admin/namespaces/flow/{flow.pk}/change/", {"source": moved})
    assert response.status_code == 200 and "id and namespace cannot change" in response.content.decode()
    assert FlowRevision.objects.count() == 1


def test_a_duplicate_flow_is_refused(admin_client):
    admin_client.post("/admin/namespaces/flow/add/", {"source": HELLO})
    response = admin_client.post("/admin/namespaces/flow/add/", {"source": HELLO})
    assert response.status_code == 200 and "already exists" in response.content.decode()


def test_the_namespace_list_is_a_tree(admin_client):
    admin_client.post("/admin/namespaces/flow/add/", {"source": HELLO})
    page = admin_client.get("/admin/namespaces/namespace/").content.decode()
    assert page.index(">acme<") < page.index("\u2003sales")
