"""flowhub: a namespaced workflow server with Kestra's model and wire API."""

from .celery import app as celery_app

__version__ = "0.1.0"
__all__ = ["__version__", "celery_app"]
