from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Who may do what: API tokens, namespace role bindings, sessions for API clients."""

    name = "access"
    verbose_name = "Access"
