"""Settings for the test run: flowhub's own, with a throwaway data dir and no broker server.

Celery messages go to kombu's in-memory transport: API and service tests drive the executor and
worker steps directly. The end-to-end tests start real processes with the real settings.
"""

import ipaddress
import os
import tempfile

os.environ.setdefault("FLOWHUB_DATA_DIR", tempfile.mkdtemp(prefix="flowhub-test-"))

from flowhub.settings import *  # noqa: F403
from flowhub.settings import STORAGES

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
