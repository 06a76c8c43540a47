"""Sessions for API clients: login for a short-lived token, refresh, validate, check-access, logout, and /me."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import ApiToken
from access.sessions import session_refresh
from flowhub.exceptions import Conflict
from tests.conftest import PASSWORD

from .clients import basic, bearer, error_paths, user_with
from .helpers import assert_problem

AUTH = "/api/v1/auth"


def login(username="ada", password=PASSWORD, client=None):
    return (client or APIClient()).post(f"{AUTH}/login", {"username": username, "password": password}, format="json")


@pytest.fixture
def ada(db):
    return user_with("ada", {"acme": "editor", "acme.sales": "admin"})


@pytest.fixture
def session(ada):
    response = login()
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("prefix", ["/api/v1", "/api/v1/main"])
def test_login_answers_a_session_token_that_authenticates(ada, prefix):
    before = timezone.now()
    response = APIClient().post(f"{prefix}/auth/login", {"username": "ada", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tokenType"] == "Bearer" and body["token"].startswith("fh_")
    assert body["user"] == {"username": "ada", "superuser": False}
    token = ApiToken.objects.get()
    assert (token.kind, token.user, token.prefix) == ("session", ada, body["token"][:10])
    assert before + timedelta(seconds=3599) <= token.expires_at <= timezone.now() + timedelta(seconds=3600)
    assert body["expiresAt"] == token.expires_at.isoformat().replace("+00:00", "Z")
    assert bearer(body["token"]).get(f"{prefix}/me").json()["username"] == "ada"


def test_login_takes_a_form_and_the_configured_lifetime(ada, settings):
    settings.FLOWHUB_SESSION_TOKEN_SECONDS = 120
    response = APIClient().post(f"{AUTH}/login", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert ApiToken.objects.get().expires_at <= timezone.now() + timedelta(seconds=120)


@pytest.mark.parametrize(("username", "password"), [("ada", "wrong"), ("nobody", PASSWORD), ("inactive", PASSWORD)])
def test_wrong_credentials_are_one_401_whoever_the_user(ada, username, password):
    inactive = user_with("inactive")
    inactive.is_active = False
    inactive.save()
    response = login(username, password)
    assert assert_problem(response, 401, "unauthenticated")["detail"] == "invalid username or password"
    assert response["WWW-Authenticate"] == 'Bearer realm="flowhub"'
    assert not ApiToken.objects.exists()


def test_an_unknown_username_costs_a_password_hash_too(ada, monkeypatch):
    """No timing oracle: the hasher runs whether the user exists or not."""
    runs = []
    for method in ("encode", "verify"):
        original = getattr(MD5PasswordHasher, method)
        counted = lambda self, *args, _original=original: runs.append(1) or _original(self, *args)  # noqa: E731
        monkeypatch.setattr(MD5PasswordHasher, method, counted)
    for username in ("ada", "nobody"):
        runs.clear()
        assert login(username, "wrong").status_code == 401
        assert runs, username


def test_a_stale_authorization_header_does_not_refuse_a_login(ada):
    client = bearer("fh_revoked-long-ago")
    assert login(client=client).status_code == 200


@pytest.mark.parametrize(
    ("body", "paths"),
    [({}, ["username", "password"]), ({"username": "ada"}, ["password"]), ({"password": "x"}, ["username"])],
)
def test_a_login_without_its_fields_is_422_naming_them(ada, body, paths):
    response = APIClient().post(f"{AUTH}/login", body, format="json")
    assert_problem(response, 422, "validation-failed")
    assert error_paths(response) == paths


@pytest.mark.parametrize("how", ["header", "body"])
def test_refresh_trades_a_session_token_for_a_new_one(session, how):
    old = session["token"]
    client, body = (bearer(old), {}) if how == "header" else (APIClient(), {"token": old})
    response = client.post(f"{AUTH}/refresh", body, format="json")
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["token"] != old and new["user"]["username"] == "ada" and new["tokenType"] == "Bearer"
    assert bearer(new["token"]).get("/api/v1/me").status_code == 200
    assert assert_problem(bearer(old).get("/api/v1/me"), 401, "unauthenticated")["detail"] == "the token was revoked"
    again = APIClient().post(f"{AUTH}/refresh", {"token": old}, format="json")
    assert assert_problem(again, 401, "unauthenticated")["detail"] == "the token was revoked"


def test_refresh_refuses_expired_api_and_missing_tokens(session, api):
    ApiToken.objects.filter(kind="session").update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = APIClient().post(f"{AUTH}/refresh", {"token": session["token"]}, format="json")
    assert assert_problem(expired, 401, "unauthenticated")["detail"].startswith("the token expired at ")
    api_token = api.post("/api/v1/tokens", {"name": "ci"}, format="json").json()["token"]
    not_a_session = APIClient().post(f"{AUTH}/refresh", {"token": api_token}, format="json")
    assert_problem(not_a_session, 422, "validation-failed")
    assert error_paths(not_a_session) == ["token"]
    missing = basic("ada").post(f"{AUTH}/refresh", {}, format="json")
    assert error_paths(missing) == ["token"]
    unknown = APIClient().post(f"{AUTH}/refresh", {"token": "fh_nothing"}, format="json")
    assert assert_problem(unknown, 401, "unauthenticated")["detail"] == "invalid token"


def test_validate_says_whether_and_why_always_200(session):
    secret = session["token"]

    def validate(client=None, **body):
        response = (client or APIClient()).post(f"{AUTH}/validate", body, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    assert validate(token=secret) == {
        "valid": True,
        "user": {"username": "ada", "superuser": False},
        "expiresAt": session["expiresAt"],
    }
    assert validate(bearer(secret))["valid"] is True
    assert validate(token="fh_unknown") == {"valid": False, "reason": "unknown"}
    assert validate(bearer("Bearer with spaces")) == {"valid": False, "reason": "unknown"}
    moment = timezone.now() - timedelta(seconds=1)
    ApiToken.objects.update(expires_at=moment)
    assert validate(token=secret) == {
        "valid": False,
        "reason": "expired",
        "expiresAt": moment.isoformat().replace("+00:00", "Z"),
    }
    ApiToken.objects.update(revoked_at=timezone.now())
    assert validate(token=secret) == {"valid": False, "reason": "revoked"}
    missing = basic("ada").post(f"{AUTH}/validate", {}, format="json")
    assert_problem(missing, 422, "validation-failed")
    assert error_paths(missing) == ["token"]


@pytest.mark.parametrize(
    ("namespace", "action", "allowed", "role"),
    [
        ("acme", "read", True, "editor"),
        ("acme", "edit", True, "editor"),
        ("acme", "admin", False, "editor"),
        ("acme.sales.eu", "admin", True, "admin"),
        ("acme.sales", "executor", True, "admin"),
        ("other", "read", False, None),
        ("acmeother", "viewer", False, None),
    ],
)
def test_check_access_answers_for_the_caller(ada, namespace, action, allowed, role):
    body = {"namespace": namespace, "flowId": "hello", "action": action}
    response = basic("ada").post(f"{AUTH}/check-access", body, format="json")
    assert response.status_code == 200, response.content
    expected = {"allowed": allowed, **({"role": role} if role else {})}
    assert response.json() == expected


def test_check_access_with_a_narrowed_token_answers_for_the_token(ada):
    token = basic("ada").post(
        "/api/v1/tokens", {"name": "ci", "bindings": [{"namespace": "acme.sales", "role": "viewer"}]}, format="json"
    )
    narrowed = bearer(token.json()["token"])
    answer = narrowed.post(f"{AUTH}/check-access", {"namespace": "acme.sales", "action": "execute"}, format="json")
    assert answer.json() == {"allowed": False, "role": "viewer"}
    outside = narrowed.post(f"{AUTH}/check-access", {"namespace": "acme", "action": "read"}, format="json")
    assert outside.json() == {"allowed": False}


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({"namespace": "acme", "action": "delete"}, ["action"]),
        ({"namespace": "acme"}, ["action"]),
        ({"action": "read"}, ["namespace"]),
        ({"namespace": "Not Valid", "action": "read"}, ["namespace"]),
    ],
)
def test_bad_access_checks_are_422_naming_the_field(ada, body, paths):
    response = basic("ada").post(f"{AUTH}/check-access", body, format="json")
    assert_problem(response, 422, "validation-failed")
    assert error_paths(response) == paths


def test_check_access_needs_a_caller(anonymous):
    assert_problem(anonymous.post(f"{AUTH}/check-access", {}, format="json"), 401, "unauthenticated")


def test_logout_revokes_the_bearer_token_and_is_harmless_with_basic(session, anonymous):
    client = bearer(session["token"])
    assert client.post(f"{AUTH}/logout").status_code == 204
    assert assert_problem(client.get("/api/v1/me"), 401, "unauthenticated")["detail"] == "the token was revoked"
    assert basic("ada").post(f"{AUTH}/logout").status_code == 204
    assert basic("ada").get("/api/v1/me").status_code == 200
    assert_problem(anonymous.post(f"{AUTH}/logout"), 401, "unauthenticated")


def test_me_shows_the_callers_effective_grants(api, ada):
    assert api.get("/api/v1/me").json() == {
        "username": "owner",
        "superuser": True,
        "grants": [{"namespace": "", "role": "admin"}],
    }
    assert basic("ada").get("/api/v1/me").json()["grants"] == [
        {"namespace": "acme", "role": "editor"},
        {"namespace": "acme.sales", "role": "admin"},
    ]


def test_two_refreshes_of_one_token_cannot_both_win(session):
    """The race the HTTP test cannot time: both read the token valid, one revokes it first."""
    first, second = ApiToken.objects.get(), ApiToken.objects.get()
    session_refresh(token=first)
    with pytest.raises(Conflict):
        session_refresh(token=second)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1
