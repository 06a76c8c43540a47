"""Every app's API routes; flowhub/urls.py mounts them under /api/v1/main/ and /api/v1/."""

from django.urls import include, path

from .plugins import PluginListApi, PluginSchemaApi

urlpatterns = [
    path("", include("access.urls")),
    path("", include("namespaces.urls")),
    path("", include("executions.urls")),
    path("", include("executions.trigger_urls")),
    path("", include("kv.urls")),
    path("", include("notifications.urls")),
    path("", include("access.role_urls")),
    path("", include("audit.urls")),
    path("plugins", PluginListApi.as_view(), name="plugin-list"),
    path("plugins/<str:plugin_type>", PluginSchemaApi.as_view(), name="plugin-schema"),
]
