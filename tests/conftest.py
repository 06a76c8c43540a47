import base64
import shutil

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests import settings as test_settings

PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` first, then the end-to-end ones (`distributed`): the longest work starts first and
    mostly waits on the processes it started, while the other workers fill in with the quick tests, rather
    than being the last thing everyone waits for."""
    items.sort(key=lambda item: tuple(item.get_closest_marker(name) is None for name in ("long", "distributed")))


def pytest_unconfigure() -> None:
    """The run's data directory (test databases, stored files, broker) goes with the run. The controlling
    process alone made it: a worker leaves it to the other workers, which may still be running."""
    if test_settings.OWN_DATA_DIR:
        shutil.rmtree(test_settings.DATA_DIR, ignore_errors=True)


@pytest.fixture
def owner(db):
    """A superuser: the tests of what the API does; tests/api/test_access*.py are those of who may do it."""
    return get_user_model().objects.create_user(username="owner", password=PASSWORD, is_superuser=True)


@pytest.fixture
def api(owner) -> APIClient:
    """An API client authenticated with HTTP basic, as curl and kestrapy are."""
    client = APIClient()
    token = base64.b64encode(f"owner:{PASSWORD}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()
