from django.apps import AppConfig


class KvConfig(AppConfig):
    """The typed, expiring key-value store of each namespace (its models arrive with the KV issue)."""

    name = "kv"
    verbose_name = "KV store"
