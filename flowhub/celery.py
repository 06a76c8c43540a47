"""The Celery app. Queues: `executor` (advance, sweep: short steps) and `worker` (task runs)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowhub.settings")

app = Celery("flowhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
