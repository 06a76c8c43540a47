from django.apps import AppConfig


class FlowhubConfig(AppConfig):
    name = "flowhub"
    verbose_name = "flowhub"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .api import schema  # noqa: F401  (registers the OpenAPI authentication extension)
