"""A flow acts with the roles of whoever saved it: what it reaches beyond its own namespace at run time (a
Subflow started there, KV entries and namespace files read or written there, executions a Flow trigger
reacts to) needs its saver to hold the role for it there."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from access.models import RoleBinding
from executions.flow_triggers import flow_triggers_fire
from executions.models import Execution, LogEntry, TaskRun
from kv.models import KVEntry
from namespaces.file_selectors import namespace_files
from namespaces.models import Flow, FlowRevision

from .clients import member
from .drive import drive_until, run_to_end
from .helpers import YAML, flow


@pytest.fixture
def editor(db) -> APIClient:
    """An editor of `acme`, and nothing else."""
    return member("ed", {"acme": "editor"})


@pytest.fixture
def savers(api, editor):
    """Who saves the flow under test, by what they hold beyond `acme`."""
    return {
        "an editor of acme only": editor,
        "a superuser": api,
        "an editor of acme, viewer of other": member("vic", {"acme": "editor", "other": "viewer"}),
        "an editor of acme, executor of other": member("exe", {"acme": "editor", "other": "executor"}),
        "an editor of acme and of other": member("edo", {"acme": "editor", "other": "editor"}),
    }


def save(client, source: str) -> None:
    response = client.post("/api/v1/flows", source, content_type=YAML)
    assert response.status_code == 200, response.content


def start(client, namespace: str, flow_id: str) -> str:
    response = client.post(f"/api/v1/executions/{namespace}/{flow_id}", {}, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()["id"]


def errors(execution_id: str) -> list[str]:
    return list(LogEntry.objects.filter(execution_id=execution_id, level="ERROR").values_list("message", flat=True))


def refusal(flow: str, saver: str, target: str, role: str, revision: int = 1) -> str:
    return (
        f"flow '{flow}' may not reach namespace '{target}': that needs the {role} role on it, "
        f"which '{saver}', who saved revision {revision}, does not hold"
    )


CALLER = """\
id: caller
namespace: acme
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: other
    flowId: target
"""


@pytest.mark.parametrize(
    "saver, allowed",
    [
        ("an editor of acme only", False),
        ("an editor of acme, viewer of other", False),
        ("an editor of acme, executor of other", True),
        ("a superuser", True),
    ],
)
def test_a_subflow_in_another_namespace_needs_its_saver_to_be_an_executor_there(api, savers, saver, allowed):
    save(api, flow("target", "other"))
    save(savers[saver], CALLER)
    caller = start(savers[saver], "acme", "caller")
    drive_until(lambda: Execution.objects.get(pk=caller).is_terminal)

    children = Execution.objects.filter(namespace="other")
    if allowed:
        assert Execution.objects.get(pk=caller).state == "SUCCESS", errors(caller)
        assert children.get().state == "SUCCESS"
    else:
        assert Execution.objects.get(pk=caller).state == "FAILED"
        assert not children.exists()
        username = FlowRevision.objects.get(flow__flow_id="caller").saved_by_name
        assert errors(caller) == [f"task 'call': {refusal('acme.caller', username, 'other', 'executor')}"]


def test_a_refused_subflow_does_not_tell_whether_the_flow_exists(editor):
    save(editor, CALLER.replace("flowId: target", "flowId: nowhere"))
    caller = run_to_end(start(editor, "acme", "caller"))
    assert caller.state == "FAILED"
    assert errors(caller.id) == [f"task 'call': {refusal('acme.caller', 'ed', 'other', 'executor')}"]


WRITER = """\
id: writer
namespace: acme
tasks:
  - id: write
    type: {type}
    namespace: other
{properties}"""

WRITES = {
    "kv": ("io.kestra.plugin.core.kv.Set", "    key: k\n    value: planted\n"),
    "file": ("io.kestra.plugin.core.namespace.UploadFiles", "    filesMap:\n      /planted.txt: planted\n"),
}


def written() -> dict[str, bool]:
    return {
        "kv": KVEntry.objects.filter(namespace="other").exists(),
        "file": namespace_files(namespace="other").exists(),
    }


@pytest.mark.parametrize("what", sorted(WRITES))
@pytest.mark.parametrize(
    "saver, allowed",
    [
        ("an editor of acme only", False),
        ("an editor of acme, executor of other", False),
        ("an editor of acme and of other", True),
        ("a superuser", True),
    ],
)
def test_writing_kv_or_files_of_another_namespace_needs_its_saver_to_be_an_editor_there(
    savers, saver, allowed, what, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    task_type, properties = WRITES[what]
    save(savers[saver], WRITER.format(type=task_type, properties=properties))
    execution = run_to_end(start(savers[saver], "acme", "writer"))

    assert written()[what] is allowed
    if allowed:
        assert execution.state == "SUCCESS", errors(execution.id)
    else:
        assert execution.state == "FAILED"
        username = FlowRevision.objects.get(flow__flow_id="writer").saved_by_name
        assert errors(execution.id) == [refusal("acme.writer", username, "other", "editor")]


READER = """\
id: reader
namespace: acme
tasks:
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('k', namespace='other') }}"
"""


@pytest.mark.parametrize(
    "saver, allowed",
    [
        ("an editor of acme only", False),
        ("an editor of acme, viewer of other", True),
        ("a superuser", True),
    ],
)
def test_the_kv_function_reads_another_namespace_only_if_its_saver_may_view_it(api, savers, saver, allowed):
    assert api.put("/api/v1/namespaces/other/kv/k", '"theirs"', content_type="application/json").status_code == 200
    save(savers[saver], READER)
    execution = run_to_end(start(savers[saver], "acme", "reader"))

    if allowed:
        assert execution.state == "SUCCESS", errors(execution.id)
        assert TaskRun.objects.get(execution=execution).outputs == {"value": "theirs"}
    else:
        assert execution.state == "FAILED"
        (message,) = errors(execution.id)
        assert refusal("acme.reader", "ed", "other", "viewer") in message
        assert "theirs" not in message


def test_a_flow_saved_with_a_scoped_token_reaches_no_further_than_the_token(api, savers):
    """Its saver views `other`, but the token they saved it with is bound to `acme` only."""
    assert api.put("/api/v1/namespaces/other/kv/k", '"theirs"', content_type="application/json").status_code == 200
    made = savers["an editor of acme, viewer of other"].post(
        "/api/v1/tokens", {"name": "ci", "bindings": [{"namespace": "acme", "role": "editor"}]}, format="json"
    )
    assert made.status_code == 201, made.content
    scoped = APIClient()
    scoped.credentials(HTTP_AUTHORIZATION=f"Bearer {made.json()['token']}")
    save(scoped, READER)
    assert FlowRevision.objects.get(flow__flow_id="reader").saved_with_id == made.json()["id"]
    execution = run_to_end(start(scoped, "acme", "reader"))
    assert execution.state == "FAILED"
    (message,) = errors(execution.id)
    assert refusal("acme.reader", "vic", "other", "viewer") in message


def test_a_kv_get_task_of_another_namespace_is_refused_too(api, editor):
    assert api.put("/api/v1/namespaces/other/kv/k", '"theirs"', content_type="application/json").status_code == 200
    source = "id: getter\nnamespace: acme\ntasks:\n  - id: get\n    type: io.kestra.plugin.core.kv.Get\n"
    save(editor, source + "    namespace: other\n    key: k\n")
    execution = run_to_end(start(editor, "acme", "getter"))
    assert execution.state == "FAILED"
    assert errors(execution.id) == [refusal("acme.getter", "ed", "other", "viewer")]


def test_a_flow_reads_its_parents_kv_whoever_saved_it_but_writes_there_only_as_an_editor(api):
    for namespace, value in [("acme", '"from acme"'), ("acme.sales", '"from sales"')]:
        response = api.put(f"/api/v1/namespaces/{namespace}/kv/k", value, content_type="application/json")
        assert response.status_code == 200
    seller = member("sal", {"acme.sales": "editor"})
    save(
        seller,
        """\
id: inherits
namespace: acme.sales
tasks:
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('k', namespace='acme') }} / {{ kv('k') }}"
  - id: get
    type: io.kestra.plugin.core.kv.Get
    namespace: acme
    key: k
  - id: set_own
    type: io.kestra.plugin.core.kv.Set
    key: mine
    value: ok
""",
    )
    execution = run_to_end(start(seller, "acme.sales", "inherits"))
    assert execution.state == "SUCCESS", errors(execution.id)
    outputs = dict(TaskRun.objects.filter(execution=execution).values_list("task_id", "outputs"))
    assert outputs["read"] == {"value": "from acme / from sales"}
    assert outputs["get"] == {"value": "from acme"}

    # What a parent holds all its children inherit: writing there is an editor's business.
    save(
        seller,
        """\
id: plants
namespace: acme.sales
tasks:
  - id: set_parent
    type: io.kestra.plugin.core.kv.Set
    namespace: acme
    key: k
    value: planted
""",
    )
    execution = run_to_end(start(seller, "acme.sales", "plants"))
    assert execution.state == "FAILED"
    assert errors(execution.id) == [refusal("acme.sales.plants", "sal", "acme", "editor")]
    assert KVEntry.objects.get(namespace="acme", key="k").value == "from acme"


def test_a_deleted_saver_leaves_the_flow_its_own_namespace_only(api, savers):
    assert api.put("/api/v1/namespaces/other/kv/k", '"theirs"', content_type="application/json").status_code == 200
    save(savers["an editor of acme, viewer of other"], READER)
    get_user_model().objects.filter(username="vic").delete()
    assert FlowRevision.objects.get(flow__flow_id="reader").saved_by is None

    execution = run_to_end(start(api, "acme", "reader"))
    assert execution.state == "FAILED"
    (message,) = errors(execution.id)
    assert "which 'vic' (deleted since), who saved revision 1, does not hold" in message


def test_a_flow_acts_with_its_savers_roles_as_they_are_when_it_runs(api, savers):
    assert api.put("/api/v1/namespaces/other/kv/k", '"theirs"', content_type="application/json").status_code == 200
    save(savers["an editor of acme, viewer of other"], READER)
    RoleBinding.objects.filter(user__username="vic", namespace="other").delete()
    execution = run_to_end(start(api, "acme", "reader"))
    assert execution.state == "FAILED"


WATCHER = """\
id: watcher
namespace: acme
tasks:
  - id: saw
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.namespace }}"
triggers:
  - id: any_end
    type: io.kestra.plugin.core.trigger.Flow
{extra}"""


def watched() -> list[str]:
    return sorted(Execution.objects.filter(flow_id="watcher").values_list("trigger__variables__namespace", flat=True))


@pytest.fixture
def upstreams(api) -> None:
    for namespace in ("other", "acme.x", "acme"):
        save(api, flow("up", namespace))


@pytest.mark.parametrize(
    "saver, sees_other",
    [
        ("an editor of acme only", False),
        ("an editor of acme, viewer of other", True),
        ("a superuser", True),
    ],
)
def test_a_flow_trigger_reacts_only_to_executions_its_saver_may_view(api, savers, upstreams, saver, sees_other):
    save(savers[saver], WATCHER.format(extra=""))
    for namespace in ("other", "acme.x"):
        run_to_end(start(api, namespace, "up"))
    assert watched() == (["acme.x", "other"] if sees_other else ["acme.x"])


def test_a_flow_trigger_in_a_child_namespace_reacts_to_its_parents_executions(api, upstreams):
    child_editor = member("kid", {"acme.x": "editor"})
    save(child_editor, WATCHER.format(extra="").replace("namespace: acme\n", "namespace: acme.x\n", 1))
    run_to_end(start(api, "acme", "up"))
    run_to_end(start(api, "other", "up"))
    assert watched() == ["acme"]


PRECONDITIONS = """\
    preconditions:
      id: both
      flows:
        - namespace: acme.x
          flowId: up
        - namespace: other
          flowId: up
"""


@pytest.mark.parametrize("saver, fires", [("an editor of acme only", False), ("a superuser", True)])
def test_preconditions_wait_for_another_namespace_only_if_the_saver_may_view_it(api, savers, upstreams, saver, fires):
    save(savers[saver], WATCHER.format(extra=PRECONDITIONS))
    run_to_end(start(api, "other", "up"))
    run_to_end(start(api, "acme.x", "up"))
    assert len(watched()) == (1 if fires else 0)


def test_flow_triggers_of_many_savers_cost_one_query_for_all_their_bindings(api, upstreams, django_assert_num_queries):
    for number in range(3):
        client = member(f"ed{number}", {"acme": "editor"})
        save(client, WATCHER.format(extra="").replace("id: watcher", f"id: watcher{number}"))
    ended = run_to_end(start(api, "other", "up"))
    assert not Execution.objects.filter(flow_id__startswith="watcher").exists()
    # The Flow trigger rows, their flows with revisions and savers, the savers' bindings.
    with django_assert_num_queries(3):
        flow_triggers_fire(upstream=ended)

    team = Group.objects.create(name="team")  # a group's bindings count, for its members only
    RoleBinding.objects.create(group=team, namespace="other", role="viewer")
    team.user_set.add(*get_user_model().objects.filter(username__in=["ed1", "owner"]))
    flow_triggers_fire(upstream=ended)
    assert list(Execution.objects.filter(flow_id__startswith="watcher").values_list("flow_id", flat=True)) == [
        "watcher1"
    ]


def test_every_way_of_saving_a_flow_records_who_saved_it(api, editor, owner):
    def saver() -> tuple[int, str]:
        current = Flow.objects.select_related("current").get(namespace_id="acme", flow_id="f").current
        return current.revision, current.saved_by_name

    save(editor, flow("f", "acme"))
    assert saver() == (1, "ed")
    source = flow("f", "acme").replace("hi", "hello")
    assert api.put("/api/v1/flows/acme/f", source, content_type=YAML).status_code == 200
    assert saver() == (2, "owner")
    assert editor.post("/api/v1/flows/disable/by-ids", [{"namespace": "acme", "id": "f"}], format="json").json() == {
        "count": 1
    }
    assert saver() == (3, "ed")
    copied = editor.post("/api/v1/flows/acme/f/duplicate", {"id": "g"}, format="json")
    assert copied.status_code == 200, copied.content
    assert FlowRevision.objects.get(flow__flow_id="g").saved_by_name == "ed"

    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    admin = Client()
    admin.force_login(owner)
    response = admin.post(f"/admin/namespaces/flow/{Flow.objects.get(flow_id='f').pk}/change/", {"source": source})
    assert response.status_code == 302 and response["Location"] == "/admin/namespaces/flow/", response
    assert saver() == (4, "owner")
