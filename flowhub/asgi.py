import os

from django.core.asgi import get_asgi_application
from django.core.signals import request_finished
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowhub.settings")
application = get_asgi_application()


def _close_connections(**_: object) -> None:
    """Under ASGI every request runs in a context of its own, so a database connection kept past it
    (CONN_MAX_AGE) is never used again: it lingers, one PostgreSQL session per request, until the
    garbage collector finds it. A burst of 500 webhook calls ran PostgreSQL out of sessions that way."""
    connections.close_all()


request_finished.connect(_close_connections, dispatch_uid="flowhub.asgi.close_connections")
