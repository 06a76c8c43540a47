"""Settings for the test run: flowhub's own, with a throwaway data dir and no broker server.

Celery messages go to kombu's in-memory transport: API and service tests drive the executor and
worker steps directly. The end-to-end tests start real processes with the real settings.
"""

import ipaddress
import os
import tempfile

# The run's own directory, unless the caller names one: the xdist workers inherit it from the controlling
# process, and tests/conftest.py removes it once they have all ended.
OWN_DATA_DIR = "FLOWHUB_DATA_DIR" not in os.environ
if OWN_DATA_DIR:
    os.environ["FLOWHUB_DATA_DIR"] = tempfile.mkdtemp(prefix="flowhub-test-")

from flowhub.settings import *  # noqa: E402, F403
from flowhub.settings import STORAGES  # noqa: E402

CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT = None  # the embedded default names flowhub.broker's filesystem transport
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Counting stays on (every response carries the headers) but never refuses; tests/api/test_throttling.py
# sets the limits it tests.
FLOWHUB_RATE_LIMIT = FLOWHUB_WEBHOOK_RATE_LIMIT = FLOWHUB_LOGIN_RATE_LIMIT = "1000000/min"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (whitenoise warns about a missing one)
# The notification tests' receivers listen on this machine's loopback.
FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file in WAL mode, as the embedded mode's (pytest-django names one per xdist worker), rather than Django's
    # in-memory test database: that one is shared between threads through SQLite's shared cache, whose table
    # locks refuse a write while another thread reads the table ("database table is locked" when a task's
    # heartbeat checks its run as the task ends). In WAL mode, readers never block the writer.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
