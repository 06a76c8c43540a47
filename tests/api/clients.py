"""API clients (basic, bearer) and users holding roles, for the API tests."""

import base64

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from access.models import RoleBinding
from tests.conftest import PASSWORD


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def basic(username: str, password: str = PASSWORD) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{username}:{password}".encode()).decode())
    return client


def user_with(username: str, roles: dict[str, str] | None = None, **fields):
    """A user with the test password, holding `roles` ({namespace prefix: role}, "" for every namespace)."""
    user = get_user_model().objects.create_user(username, password=PASSWORD, **fields)
    for namespace, role in (roles or {}).items():
        RoleBinding.objects.create(user=user, namespace=namespace, role=role)
    return user


def member(username: str, roles: dict[str, str] | None = None, **fields) -> APIClient:
    """A basic-auth client of a new user holding `roles` (see `user_with`)."""
    user_with(username, roles, **fields)
    return basic(username)


def error_paths(response) -> list[str]:
    return [error["path"] for error in response.json()["errors"]]
