"""The Celery app. Queues: `executor` (advance, sweep: short steps) and `worker` (task runs)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowhub.settings")

app = Celery("flowhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(**_: object) -> None:
    """Around a task as Django does around a request: a connection past CONN_MAX_AGE, or broken, is closed.

    Celery's Django fixup would close it around every task (CELERY_DB_REUSE_MAX unset): a new
    PostgreSQL session per message."""
    close_old_connections()
