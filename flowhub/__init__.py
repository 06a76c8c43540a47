"""flowhub: a namespaced workflow server with Kestra's model and wire API.

The Celery app lives in flowhub.celery (`celery -A flowhub` finds it there); it is not imported
here, so that importing flowhub.engine pulls in neither Celery nor Django.
"""

__version__ = "0.1.0"
