"""Every app's API routes; flowhub/urls.py mounts them under /api/v1/main/ and /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("namespaces.urls")),
    path("", include("executions.urls")),
]
