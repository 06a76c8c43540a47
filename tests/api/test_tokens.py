"""API tokens: created with a secret answered once, listed without it, revoked; bearer authentication with
its refusals; bindings that narrow a token and never widen it; the command and the admin."""

import html
import logging
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import ApiToken, RoleBinding, TokenBinding
from access.tokens import token_create
from tests.conftest import PASSWORD
from tests.engine.flows import HELLO

from .clients import basic, bearer, error_paths, user_with
from .helpers import YAML, assert_problem

TOKENS = "/api/v1/tokens"


def create(client, **body):
    response = client.post(TOKENS, {"name": "ci", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def flows(api):
    for namespace in ("acme", "acme.sales", "other"):
        source = HELLO.replace("namespace: acme.sales", f"namespace: {namespace}")
        assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200


@pytest.mark.parametrize("prefix", ["/api/v1", "/api/v1/main"])
def test_a_token_is_created_listed_and_revoked(api, owner, prefix):
    created = api.post(f"{prefix}/tokens", {"name": "ci", "expiresIn": 3600}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["token"]
    assert secret.startswith("fh_") and len(secret) > 40 and body["prefix"] == secret[:10]
    assert (body["name"], body["user"], body["kind"], body["bindings"]) == ("ci", "owner", "api", [])
    assert body["expired"] is False and body["expiresAt"].endswith("Z") and "createdAt" in body
    assert "revokedAt" not in body and "lastUsedAt" not in body and "digest" not in body

    listed = api.get(f"{prefix}/tokens")
    assert listed.status_code == 200 and listed.json()["total"] == 1 and listed["X-Total-Count"] == "1"
    (shown,) = listed.json()["results"]
    assert shown == {key: value for key, value in body.items() if key != "token"}
    assert api.get(f"{prefix}/tokens/{body['id']}").json() == shown

    assert bearer(secret).get(f"{prefix}/me").json()["username"] == "owner"
    assert api.delete(f"{prefix}/tokens/{body['id']}").status_code == 204
    assert api.delete(f"{prefix}/tokens/{body['id']}").status_code == 204  # again: nothing changes
    revoked = api.get(f"{prefix}/tokens/{body['id']}").json()
    assert "revokedAt" in revoked and "lastUsedAt" in revoked
    assert assert_problem(bearer(secret).get(f"{prefix}/me"), 401, "unauthenticated")["detail"] == (
        "the token was revoked"
    )


def test_an_expired_token_is_refused_saying_when_it_expired(api):
    token = create(api, expiresIn=60)
    moment = timezone.now() - timedelta(seconds=5)
    ApiToken.objects.filter(pk=token["id"]).update(expires_at=moment)
    response = bearer(token["token"]).get("/api/v1/me")
    expected = moment.isoformat().replace("+00:00", "Z")
    assert assert_problem(response, 401, "unauthenticated")["detail"] == f"the token expired at {expected}"
    assert response["WWW-Authenticate"] == 'Bearer realm="flowhub", error="invalid_token"'
    assert api.get(f"{TOKENS}/{token['id']}").json()["expired"] is True


@pytest.mark.parametrize(
    "header",
    ["Bearer fh_not-a-token", "Bearer not-even-ours", "Bearer ", "Bearer fh_one fh_two"],
)
def test_an_unknown_or_malformed_bearer_token_is_refused(anonymous, owner, header):
    anonymous.credentials(HTTP_AUTHORIZATION=header)
    response = anonymous.get("/api/v1/flows/acme")
    body = assert_problem(response, 401, "unauthenticated")
    assert body["detail"] in ("invalid token", "invalid bearer header: give one token after 'Bearer '")
    assert response["WWW-Authenticate"] == 'Bearer realm="flowhub", error="invalid_token"'


def test_the_token_of_a_deactivated_user_is_refused(api, owner):
    secret = create(api)["token"]
    owner.is_active = False
    owner.save()
    detail = assert_problem(bearer(secret).get("/api/v1/me"), 401, "unauthenticated")["detail"]
    assert detail == "the token's user is inactive"


def test_without_credentials_both_schemes_are_offered_and_basic_still_works(anonymous, owner):
    response = anonymous.get("/api/v1/flows/acme")
    assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Basic realm="flowhub", Bearer realm="flowhub"'
    assert basic("owner").get("/api/v1/flows/acme").status_code == 200


def test_the_last_use_is_recorded_at_most_once_a_minute(api):
    token = create(api)
    client = bearer(token["token"])
    before = timezone.now()
    assert client.get("/api/v1/me").status_code == 200
    first = ApiToken.objects.get(pk=token["id"]).last_used_at
    assert first is not None and first >= before
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me").status_code == 200
    assert not [query for query in queries if query["sql"].lstrip().upper().startswith("UPDATE")]
    assert ApiToken.objects.get(pk=token["id"]).last_used_at == first

    ApiToken.objects.filter(pk=token["id"]).update(last_used_at=first - timedelta(minutes=2))
    assert client.get("/api/v1/me").status_code == 200
    assert ApiToken.objects.get(pk=token["id"]).last_used_at > first


def test_a_narrowed_token_sees_and_does_less_than_its_user(flows):
    user_with("ada", {"acme": "editor", "other": "viewer"})
    ada = basic("ada")
    token = create(ada, bindings=[{"namespace": "acme.sales", "role": "viewer"}])
    assert token["bindings"] == [{"namespace": "acme.sales", "role": "viewer"}]
    narrowed = bearer(token["token"])
    for namespace in ("acme", "acme.sales", "other"):
        assert ada.get(f"/api/v1/flows/{namespace}").status_code == 200
    assert narrowed.get("/api/v1/flows/acme.sales").status_code == 200
    assert_problem(narrowed.get("/api/v1/flows/acme"), 404, "not-found")
    assert_problem(narrowed.get("/api/v1/flows/other"), 404, "not-found")
    assert_problem(narrowed.delete("/api/v1/flows/acme.sales/hello"), 403, "forbidden")
    assert ada.delete("/api/v1/flows/acme.sales/hello").status_code == 204
    assert narrowed.get("/api/v1/me").json()["grants"] == [{"namespace": "acme.sales", "role": "viewer"}]


def test_a_token_narrows_when_its_user_loses_a_role(flows):
    user = user_with("ada", {"acme": "editor"})
    narrowed = bearer(create(basic("ada"), bindings=[{"namespace": "acme", "role": "editor"}])["token"])
    assert narrowed.get("/api/v1/flows/acme").status_code == 200
    user.role_bindings.all().delete()
    assert_problem(narrowed.get("/api/v1/flows/acme"), 404, "not-found")


@pytest.mark.parametrize(
    ("bindings", "path", "detail"),
    [
        ([{"namespace": "acme.sales", "role": "admin"}], "bindings[0].role", "ada is editor on namespace 'acme.sales'"),
        ([{"namespace": "other", "role": "viewer"}], "bindings[0].namespace", "ada holds no role on namespace 'other'"),
        ([{"namespace": "", "role": "viewer"}], "bindings[0].namespace", "ada holds no role on all namespaces"),
        ([{"namespace": "acme", "role": "viewer"}, {"namespace": "x", "role": "viewer"}], "bindings[1].namespace", ""),
    ],
)
def test_a_token_cannot_reach_further_than_its_user(db, bindings, path, detail):
    user_with("ada", {"acme": "editor"})
    response = basic("ada").post(TOKENS, {"name": "ci", "bindings": bindings}, format="json")
    body = assert_problem(response, 422, "validation-failed")
    assert [(error["path"], detail in error["detail"]) for error in body["errors"]] == [(path, True)]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({}, ["name"]),
        ({"name": "   "}, ["name"]),
        ({"name": "x" * 101}, ["name"]),
        ({"name": "ci", "expiresIn": 0}, ["expiresIn"]),
        ({"name": "ci", "expiresIn": "soon"}, ["expiresIn"]),
        ({"name": "ci", "expiresAt": "2001-01-01T00:00:00Z"}, ["expiresAt"]),
        ({"name": "ci", "expiresAt": "tomorrow"}, ["expiresAt"]),
        ({"name": "ci", "expiresAt": "2999-01-01T00:00:00Z", "expiresIn": 60}, ["expiresIn"]),
        ({"name": "ci", "bindings": [{"namespace": "Acme!", "role": "viewer"}]}, ["bindings[0].namespace"]),
        ({"name": "ci", "bindings": [{"namespace": "acme", "role": "owner"}]}, ["bindings[0].role"]),
        ({"name": "ci", "bindings": [{"namespace": "acme"}]}, ["bindings[0].role"]),
        ({"name": "ci", "bindings": [{"role": "viewer"}]}, ["bindings[0].namespace"]),
        ({"name": "ci", "bindings": [{"namespace": "a", "role": "viewer"}] * 2}, ["bindings[1].namespace"]),
        ({"name": "ci", "bindings": "acme:viewer"}, ["bindings"]),
    ],
)
def test_bad_token_requests_are_refused_naming_the_field(api, body, paths):
    response = api.post(TOKENS, body, format="json")
    assert_problem(response, 422, "validation-failed")
    assert error_paths(response) == paths
    assert not ApiToken.objects.exists()


def test_an_admin_creates_tokens_for_others_only_bound_within_their_namespaces(flows):
    user_with("boss", {"acme": "admin"})
    user_with("bob", {"acme.sales": "editor", "other": "editor"})
    boss = basic("boss")

    made = create(boss, user="bob", bindings=[{"namespace": "acme.sales", "role": "editor"}])
    assert (made["user"], made["createdBy"]) == ("bob", "boss")
    assert bearer(made["token"]).get("/api/v1/me").json()["username"] == "bob"

    unbound = boss.post(TOKENS, {"name": "ci", "user": "bob"}, format="json")
    assert_problem(unbound, 422, "validation-failed")
    assert error_paths(unbound) == ["bindings"]
    elsewhere = boss.post(
        TOKENS, {"name": "ci", "user": "bob", "bindings": [{"namespace": "other", "role": "viewer"}]}, format="json"
    )
    assert error_paths(elsewhere) == ["bindings[0].namespace"]
    unknown = boss.post(TOKENS, {"name": "ci", "user": "nobody"}, format="json")
    assert error_paths(unknown) == ["user"]
    not_an_admin = basic("bob").post(
        TOKENS, {"name": "ci", "user": "boss", "bindings": [{"namespace": "acme", "role": "viewer"}]}, format="json"
    )
    assert_problem(not_an_admin, 403, "forbidden")
    assert ApiToken.objects.count() == 1


def test_a_superuser_creates_unbound_tokens_for_others(api):
    user_with("bob", {"acme": "viewer"})
    made = create(api, user="bob")
    assert (made["user"], made["bindings"]) == ("bob", [])


def test_a_narrowed_token_only_creates_tokens_within_its_own_reach(db):
    user_with("ada", {"acme": "editor"})
    narrowed = bearer(create(basic("ada"), bindings=[{"namespace": "acme.sales", "role": "viewer"}])["token"])
    assert error_paths(narrowed.post(TOKENS, {"name": "wider"}, format="json")) == ["bindings"]
    editor = {"name": "wider", "bindings": [{"namespace": "acme.sales", "role": "editor"}]}
    assert error_paths(narrowed.post(TOKENS, editor, format="json")) == ["bindings[0].role"]
    inside = create(narrowed, bindings=[{"namespace": "acme.sales.eu", "role": "viewer"}])
    assert inside["bindings"] == [{"namespace": "acme.sales.eu", "role": "viewer"}]


def test_a_caller_sees_their_own_tokens_and_those_they_made_a_superuser_all(api):
    user_with("boss", {"acme": "admin"})
    user_with("bob", {"acme": "viewer"})
    boss, bob = basic("boss"), basic("bob")
    own = create(boss, name="boss's")
    for_bob = create(boss, name="for bob", user="bob", bindings=[{"namespace": "acme", "role": "viewer"}])
    bobs = create(bob, name="bob's")
    create(api, name="owner's")

    def names(client, query=""):
        return sorted(token["name"] for token in client.get(TOKENS + query).json()["results"])

    assert names(boss) == ["boss's", "for bob"]
    assert names(bob) == ["bob's", "for bob"]
    assert names(api) == ["bob's", "boss's", "for bob", "owner's"]
    assert names(api, "?user=bob") == ["bob's", "for bob"]
    page = api.get(TOKENS + "?sort=name:desc&size=2").json()
    assert ([token["name"] for token in page["results"]], page["total"]) == (["owner's", "for bob"], 4)
    assert api.get(TOKENS + "?sort=secret:asc").status_code == 422

    assert_problem(bob.get(f"{TOKENS}/{own['id']}"), 404, "not-found")
    assert_problem(bob.delete(f"{TOKENS}/{own['id']}"), 404, "not-found")
    assert_problem(bob.delete(f"{TOKENS}/no-such-token"), 404, "not-found")
    assert bob.delete(f"{TOKENS}/{for_bob['id']}").status_code == 204
    assert boss.get(f"{TOKENS}/{for_bob['id']}").json()["revokedAt"]
    assert ApiToken.objects.get(pk=own["id"]).revoked_at is None and bobs


def test_listing_tokens_takes_a_fixed_number_of_queries(api, django_assert_num_queries):
    for number in range(5):
        create(api, name=f"t{number}", bindings=[{"namespace": f"ns{number}", "role": "viewer"}])
    api.get(TOKENS)  # the credential check is remembered after the first request
    with django_assert_num_queries(4):  # the user, the count, the page, its bindings
        assert len(api.get(TOKENS).json()["results"]) == 5


def test_the_command_prints_only_the_secret(db):
    user_with("ada", {"acme": "editor"})
    out = StringIO()
    arguments = ["--name", "deploy", "--expires-in", "600", "--bind", "acme.sales:viewer"]
    call_command("create_token", "ada", *arguments, stdout=out)
    secret = out.getvalue().strip()
    assert secret.startswith("fh_") and "\n" not in secret
    token = ApiToken.objects.get()
    assert (token.name, token.user.username, token.created_by, token.prefix) == ("deploy", "ada", None, secret[:10])
    assert token.expires_at > timezone.now() + timedelta(seconds=590)
    assert list(token.bindings.values_list("namespace", "role")) == [("acme.sales", "viewer")]
    assert bearer(secret).get("/api/v1/me").json()["username"] == "ada"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody", "--name", "x"], "no user is called 'nobody'"),
        (["ada", "--name", "x", "--bind", "acme"], "expected NAMESPACE:ROLE"),
        (["ada", "--name", "x", "--bind", "other:viewer"], "bindings[0].namespace: ada holds no role"),
        (["ada", "--name", "x", "--bind", "acme:boss"], "bindings[0].role: unknown role 'boss'"),
        (["ada", "--name", "x", "--expires-in", "0"], "--expires-in must be a positive"),
    ],
)
def test_the_command_refuses_bad_arguments(db, arguments, message):
    user_with("ada", {"acme": "editor"})
    with pytest.raises(CommandError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call_command("create_token", *arguments, stdout=StringIO())
    assert not ApiToken.objects.exists()


ADMIN_ADD = "/admin/access/apitoken/add/"


def admin_form(user, **fields):
    form = {
        "user": user.pk, "name": "from the admin", "expires_at_0": "", "expires_at_1": "",
        "bindings-TOTAL_FORMS": "3", "bindings-INITIAL_FORMS": "0",
        "bindings-MIN_NUM_FORMS": "0", "bindings-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for index in range(3):
        form.update({f"bindings-{index}-namespace": "", f"bindings-{index}-role": ""})
    return {**form, **fields}


def secret_on(page) -> str:
    """The one secret an admin page shows."""
    (secret,) = re.findall(r"fh_[A-Za-z0-9_-]{40,}", page.content.decode())
    return secret


@pytest.fixture
def admin_client(client, owner):
    owner.is_staff = True
    owner.save()
    client.force_login(owner)
    return client


def test_the_admin_adds_a_token_and_shows_its_secret_once(admin_client):
    ada = user_with("ada", {"acme": "editor"})
    assert admin_client.get(ADMIN_ADD).status_code == 200
    form = admin_form(ada, **{"bindings-1-namespace": "acme.sales", "bindings-1-role": "viewer"})
    form.update({"expires_at_0": "2999-01-01", "expires_at_1": "00:00:00"})
    page = admin_client.post(ADMIN_ADD, form)
    assert page.status_code == 200
    token = ApiToken.objects.get()
    secret = secret_on(page)
    assert page.content.decode().count(secret) == 1 and secret[:10] == token.prefix
    assert (token.user, token.created_by.username, token.expires_at.year) == (ada, "owner", 2999)
    assert list(TokenBinding.objects.values_list("namespace", "role")) == [("acme.sales", "viewer")]
    assert bearer(secret).get("/api/v1/flows/acme.sales").status_code == 200
    for later in ("/admin/access/apitoken/", f"/admin/access/apitoken/{token.pk}/change/"):
        shown = admin_client.get(later).content.decode()
        assert secret not in shown and token.prefix in shown


def test_the_admin_shows_the_services_errors_at_their_fields(admin_client):
    ada = user_with("ada", {"acme": "editor"})
    form = admin_form(ada, **{"bindings-2-namespace": "acme", "bindings-2-role": "admin"})
    page = admin_client.post(ADMIN_ADD, form)
    assert page.status_code == 200 and "ada is editor on namespace &#x27;acme&#x27;, not admin" in page.content.decode()
    past = admin_client.post(ADMIN_ADD, admin_form(ada, expires_at_0="2001-01-01", expires_at_1="00:00:00"))
    assert "must be in the future" in past.content.decode()
    assert not ApiToken.objects.exists()


def test_the_admin_revokes_selected_tokens(admin_client, api):
    first, second = create(api, name="one"), create(api, name="two")
    response = admin_client.post(
        "/admin/access/apitoken/", {"action": "revoke_selected", "_selected_action": [first["id"], second["id"]]}
    )
    assert response.status_code == 302
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 2
    assert_problem(bearer(first["token"]).get("/api/v1/me"), 401, "unauthenticated")


@pytest.fixture
def everything_logged():
    """The text of every record of every logger at DEBUG, the SQL statements and their parameters included."""
    text = StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    named = logging.root.manager.loggerDict.values()
    loggers = [root, *(logger for logger in named if isinstance(logger, logging.Logger))]
    saved = [(logger, logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if logger is root or not logger.propagate:
            logger.addHandler(handler)
    connection.force_debug_cursor = True
    yield text
    connection.force_debug_cursor = False
    for logger, level, _ in saved:
        logger.setLevel(level)
        logger.removeHandler(handler)


def test_token_secrets_appear_nowhere_but_in_their_creation_answer(api, admin_client, everything_logged):
    ada = user_with("ada", {"acme": "editor"})
    answers = []  # every answer except the one that created a token

    def seen(response):
        answers.append(response)
        return response

    secrets = [api.post(TOKENS, {"name": "by the api"}, format="json").json()["token"]]
    binding = {"bindings-0-namespace": "acme", "bindings-0-role": "viewer"}
    secrets.append(secret_on(admin_client.post(ADMIN_ADD, admin_form(ada, **binding))))
    out = StringIO()
    call_command("create_token", "ada", "--name", "by the command", stdout=out)
    secrets.append(out.getvalue().strip())
    session = APIClient().post("/api/v1/auth/login", {"username": "ada", "password": PASSWORD}, format="json")
    secrets.append(session.json()["token"])
    refreshed = bearer(secrets[-1]).post("/api/v1/auth/refresh")
    assert secrets[-1] not in refreshed.content.decode()  # the answer creating the next one only has the next one
    secrets.append(refreshed.json()["token"])
    assert len(set(secrets)) == 5 and all(secret.startswith("fh_") for secret in secrets)

    for secret in secrets:
        client = bearer(secret)
        for path in ("/api/v1/me", "/api/v1/tokens", "/api/v1/flows/acme", "/api/v1/flows/acme.sales/nope"):
            seen(client.get(path))
        seen(client.post("/api/v1/auth/check-access", {"namespace": "acme", "action": "edit"}, format="json"))
        seen(APIClient().post("/api/v1/auth/validate", {"token": secret}, format="json"))
        seen(bearer(f"{secret} {secret}").get("/api/v1/me"))  # malformed: refused
        seen(basic("ada", secret).get("/api/v1/me"))  # the secret as a password: refused
    seen(bearer(secrets[0]).post("/api/v1/auth/logout"))
    seen(bearer(secrets[0]).get("/api/v1/me"))  # revoked
    seen(APIClient().post("/api/v1/auth/refresh", {"token": secrets[3]}, format="json"))  # refreshed already
    seen(admin_client.get("/admin/access/apitoken/"))
    some = ApiToken.objects.first().pk
    seen(admin_client.get(f"/admin/access/apitoken/{some}/change/"))
    seen(admin_client.post("/admin/access/apitoken/", {"action": "revoke_selected", "_selected_action": [some]}))

    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    logged = everything_logged.getvalue()
    assert "SELECT" in logged and ApiToken.objects.first().digest in dump.getvalue()  # the search is not blind
    for secret in secrets:
        assert secret not in dump.getvalue()
        assert secret not in logged
        for response in answers:
            assert secret not in response.content.decode() + str(response.items()) + str(response.cookies)


def test_the_admin_adds_role_bindings_with_valid_namespaces_only(admin_client):
    ada = user_with("ada")
    add = "/admin/access/rolebinding/add/"
    refused = admin_client.post(add, {"user": ada.pk, "namespace": "Not Valid", "role": "viewer"})
    assert refused.status_code == 200 and "must be lower-case letters" in refused.content.decode()
    assert admin_client.post(add, {"user": ada.pk, "namespace": "acme", "role": "viewer"}).status_code == 302
    assert admin_client.post(add, {"user": ada.pk, "namespace": "", "role": "viewer"}).status_code == 302
    assert sorted(ada.role_bindings.values_list("namespace", "role")) == [("", "viewer"), ("acme", "viewer")]
    assert "(every namespace)" in admin_client.get("/admin/access/rolebinding/").content.decode()


def staff_client(username: str, *bindings: tuple[str, str]) -> Client:
    """A staff user holding every permission of the access app, and `bindings` (namespace, role)."""
    user = user_with(username)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="access"))
    for namespace, role in bindings:
        RoleBinding.objects.create(user=user, namespace=namespace, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_in_the_admin_only_the_tokens_and_bindings_that_are_theirs_to_manage(db):
    owner_of_other = user_with("olga")
    token_create(user=owner_of_other, name="olga-ci", created_by=None)
    RoleBinding.objects.create(user=owner_of_other, namespace="other", role="editor")
    staff = staff_client("sam", ("acme", "admin"))
    bot = user_with("sam-bot")
    RoleBinding.objects.create(user=bot, namespace="acme.sales", role="viewer")
    token_create(user=bot, name="acme-bot", bindings=[("acme.sales", "viewer")], created_by=None)
    tokens = staff.get("/admin/access/apitoken/").content.decode()
    assert "acme-bot" in tokens and "olga-ci" not in tokens
    bindings = staff.get("/admin/access/rolebinding/").content.decode()
    assert "sam" in bindings and "olga" not in bindings
    olga = get_user_model().objects.get(username="olga")
    refused = staff.post("/admin/access/rolebinding/add/", {"user": olga.pk, "namespace": "other", "role": "admin"})
    assert refused.status_code == 200
    assert "needs the admin role on namespace 'other'" in html.unescape(refused.content.decode())
    assert not RoleBinding.objects.filter(user=olga, role="admin").exists()
