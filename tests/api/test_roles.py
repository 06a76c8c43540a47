"""Namespace roles: what a set of bindings grants, and `/roles`, where admins hand them out."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from access.models import RoleBinding
from access.roles import Access, Grant, Role, covers

from .clients import member
from .helpers import YAML, assert_problem, flow


@pytest.mark.parametrize(
    ("prefix", "namespace", "reached"),
    [
        ("acme", "acme", True),
        ("acme", "acme.sales", True),
        ("acme", "acme.sales.eu", True),
        ("acme", "acmeother", False),
        ("acme.sales", "acme", False),
        ("", "anything.at.all", True),
    ],
)
def test_a_grant_reaches_its_namespace_and_those_below_it_only(prefix, namespace, reached):
    assert covers(prefix, namespace) is reached


def test_the_highest_role_among_the_grants_that_reach_a_namespace_holds():
    access = Access((Grant("acme", Role.VIEWER), Grant("acme.sales", Role.EDITOR)))
    assert access.role_in("acme.sales.eu") is Role.EDITOR
    assert access.role_in("acme.hr") is Role.VIEWER
    assert access.role_in("other") is None
    assert access.allows("acme.sales", Role.EXECUTOR) and not access.allows("acme.hr", Role.EXECUTOR)
    assert access.prefixes(Role.VIEWER) == ("acme",)
    assert access.prefixes(Role.EDITOR) == ("acme.sales",)
    assert not access.everywhere(Role.VIEWER)
    assert Access.superuser().everywhere(Role.ADMIN)


def test_a_token_narrowed_to_bindings_never_exceeds_its_owner():
    owner = Access((Grant("acme", Role.EDITOR), Grant("other", Role.VIEWER)))
    token = owner.narrowed([Grant("acme.sales", Role.ADMIN), Grant("other", Role.EDITOR), Grant("", Role.VIEWER)])
    assert token.role_in("acme.sales") is Role.EDITOR  # the owner's editor caps the token's admin
    assert token.role_in("acme.hr") is Role.VIEWER  # the token's root viewer meets the owner's acme editor
    assert token.role_in("other") is Role.VIEWER
    assert token.role_in("elsewhere") is None  # the owner has nothing there
    assert Access.superuser().narrowed([Grant("acme", Role.EXECUTOR)]).prefixes(Role.VIEWER) == ("acme",)


@pytest.mark.parametrize("text", ["viewer", "EXECUTOR", " Editor ", "admin"])
def test_roles_are_named_in_any_case(text):
    assert Role.parse(text).label == text.strip().lower()


def test_an_unknown_role_name_says_which_exist():
    with pytest.raises(ValueError, match="one of viewer, executor, editor, admin"):
        Role.parse("owner")


@pytest.fixture
def acme_admin(db):
    return member("boss", {"acme": "admin"})


def test_an_admin_gives_a_role_below_their_namespace_and_the_holder_gains_it(api, acme_admin):
    assert api.post("/api/v1/flows", flow("hello", "acme.sales"), content_type=YAML).status_code == 200
    caller = member("member")
    assert caller.get("/api/v1/flows/acme.sales/hello").status_code == 404
    created = acme_admin.post("/api/v1/roles", {"namespace": "acme.sales", "role": "viewer", "user": "member"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert {key: body[key] for key in ("namespace", "role", "user")} == {
        "namespace": "acme.sales",
        "role": "viewer",
        "user": "member",
    }
    assert caller.get("/api/v1/flows/acme.sales/hello").status_code == 200
    assert caller.delete("/api/v1/flows/acme.sales/hello").status_code == 403


def test_a_group_binding_gives_its_members_the_role(api, acme_admin):
    assert api.post("/api/v1/flows", flow("hello", "acme.sales"), content_type=YAML).status_code == 200
    caller = member("member")
    Group.objects.create(name="sales").user_set.add(get_user_model().objects.get(username="member"))
    created = acme_admin.post("/api/v1/roles", {"namespace": "acme", "role": "executor", "group": "sales"})
    assert created.status_code == 201, created.content
    assert created.json()["group"] == "sales"
    assert caller.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "slug", "path"),
    [
        ({"namespace": "other", "role": "viewer", "user": "member"}, 403, "forbidden", None),
        ({"namespace": "", "role": "viewer", "user": "member"}, 403, "forbidden", None),
        ({"namespace": "acme", "role": "owner", "user": "member"}, 422, "validation-failed", "role"),
        ({"namespace": "acme", "role": "viewer", "user": "nobody"}, 422, "validation-failed", "user"),
        ({"namespace": "acme", "role": "viewer", "group": "nogroup"}, 422, "validation-failed", "group"),
        ({"namespace": "acme", "role": "viewer"}, 422, "validation-failed", "user"),
        ({"namespace": "acme", "role": "viewer", "user": "member", "group": "g"}, 422, "validation-failed", "user"),
        ({"namespace": "acme..x", "role": "viewer", "user": "member"}, 422, "validation-failed", "namespace"),
        ({"role": "viewer", "user": "member"}, 422, "validation-failed", "namespace"),
    ],
)
def test_a_binding_the_admin_may_not_make_or_that_is_malformed_is_refused(acme_admin, body, status, slug, path):
    member("member")
    problem = assert_problem(acme_admin.post("/api/v1/roles", body, format="json"), status, slug)
    if path:
        assert path in [error["path"] for error in problem["errors"]], problem
    assert not RoleBinding.objects.filter(user__username="member").exists()


def test_a_second_binding_for_the_same_holder_and_namespace_is_a_conflict(acme_admin):
    member("member", {"acme.sales": "viewer"})
    body = {"namespace": "acme.sales", "role": "editor", "user": "member"}
    assert_problem(acme_admin.post("/api/v1/roles", body, format="json"), 409, "conflict")
    assert RoleBinding.objects.get(user__username="member").role == "viewer"


def test_an_admin_changes_and_removes_bindings_of_their_namespaces_only(acme_admin):
    member("member", {"acme.sales": "viewer"})
    member("stranger", {"other": "viewer"})
    mine = RoleBinding.objects.get(user__username="member")
    theirs = RoleBinding.objects.get(user__username="stranger")
    changed = acme_admin.put(f"/api/v1/roles/{mine.pk}", {"role": "editor"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "editor"
    assert_problem(
        acme_admin.put(f"/api/v1/roles/{mine.pk}", {"role": "root"}, format="json"), 422, "validation-failed"
    )
    assert_problem(acme_admin.put(f"/api/v1/roles/{theirs.pk}", {"role": "admin"}, format="json"), 404, "not-found")
    assert_problem(acme_admin.delete(f"/api/v1/roles/{theirs.pk}"), 404, "not-found")
    assert acme_admin.delete(f"/api/v1/roles/{mine.pk}").status_code == 204
    assert list(RoleBinding.objects.values_list("user__username", "role").order_by("pk")) == [
        ("boss", "admin"),
        ("stranger", "viewer"),
    ]


def test_a_member_reads_their_own_bindings_but_cannot_change_them(db):
    caller = member("member", {"acme": "viewer"})
    member("colleague", {"acme": "viewer"})
    listed = caller.get("/api/v1/roles")
    assert [(row["user"], row["role"]) for row in listed.json()["results"]] == [("member", "viewer")]
    own = RoleBinding.objects.get(user__username="member")
    assert_problem(caller.put(f"/api/v1/roles/{own.pk}", {"role": "admin"}, format="json"), 403, "forbidden")
    assert RoleBinding.objects.get(pk=own.pk).role == "viewer"


def test_the_role_list_filters_by_namespace_prefix_user_and_group(acme_admin, api):
    member("member", {"acme.sales": "viewer"})
    member("analyst", {"acme.hr": "editor"})
    by_namespace = api.get("/api/v1/roles?namespace=acme.sales").json()
    assert [row["user"] for row in by_namespace["results"]] == ["member"]
    assert [row["user"] for row in acme_admin.get("/api/v1/roles?user=analyst").json()["results"]] == ["analyst"]
    assert acme_admin.get("/api/v1/roles?group=sales").json() == {"results": [], "total": 0}
    assert by_namespace["total"] == 1


def test_a_superuser_needs_no_binding(api):
    assert api.post("/api/v1/flows", flow("hello", "anywhere.at.all"), content_type=YAML).status_code == 200
    made = api.post("/api/v1/roles", {"namespace": "", "role": "viewer", "user": "owner"}, format="json")
    assert made.status_code == 201, made.content
