from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from flowhub.api.health import HealthApi
from flowhub.api.metrics import MetricsApi

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    # Kestra's default tenant is the only one; any other tenant id matches no route and is a 404.
    path("api/v1/main/", include("flowhub.api.urls")),
    path("api/v1/", include("flowhub.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("health", HealthApi.as_view(), name="health"),
    path("metrics", MetricsApi.as_view(), name="metrics"),
]

admin.site.site_header = "flowhub"
admin.site.site_title = "flowhub"
admin.site.index_title = "Namespaces, flows and executions"

# Problem details on API paths, Django's pages elsewhere (flowhub.api.views).
handler400 = "flowhub.api.views.bad_request"
handler403 = "flowhub.api.views.permission_denied"
handler404 = "flowhub.api.views.not_found"
handler500 = "flowhub.api.views.server_error"
