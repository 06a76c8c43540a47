from django.apps import AppConfig


class NamespacesConfig(AppConfig):
    name = "namespaces"
    verbose_name = "Namespaces and flows"
