import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password

from flowhub.api import authentication

from .clients import basic


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("ada", password="first-password")


@pytest.fixture
def hasher_calls(monkeypatch):
    calls = []

    def counting_check_password(password, encoded, *args, **kwargs):
        calls.append(password)
        return check_password(password, encoded, *args, **kwargs)

    monkeypatch.setattr("django.contrib.auth.base_user.check_password", counting_check_password)
    return calls


def test_a_verified_password_is_not_hashed_again(user, hasher_calls):
    client = basic("ada", "first-password")
    for _ in range(3):
        assert client.get("/api/v1/plugins").status_code == 200
    assert hasher_calls == ["first-password"]


def test_a_wrong_password_is_refused_even_after_a_right_one(user):
    assert basic("ada", "first-password").get("/api/v1/plugins").status_code == 200
    assert basic("ada", "wrong-password").get("/api/v1/plugins").status_code == 401


def test_changing_the_password_voids_the_remembered_one(user):
    assert basic("ada", "first-password").get("/api/v1/plugins").status_code == 200
    user.set_password("second-password")
    user.save()
    assert basic("ada", "first-password").get("/api/v1/plugins").status_code == 401
    assert basic("ada", "second-password").get("/api/v1/plugins").status_code == 200


def test_a_deactivated_user_is_refused_despite_a_remembered_password(user):
    assert basic("ada", "first-password").get("/api/v1/plugins").status_code == 200
    user.is_active = False
    user.save()
    assert basic("ada", "first-password").get("/api/v1/plugins").status_code == 401


def test_the_memory_is_bounded(user, monkeypatch):
    monkeypatch.setattr(authentication, "MAX_REMEMBERED", 2)
    remembered = authentication._VerifiedPasswords()
    for password in ("a", "b", "c"):
        user.password = f"hash-{password}"
        remembered.remember(user, password)
    assert len(remembered._entries) == 2
