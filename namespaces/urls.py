from django.urls import include, path

from . import api, namespace_api, secret_api

# Fixed words first: `flows/search` must not be read as the namespace "search".
urlpatterns = [
    path("flows", api.FlowCreateApi.as_view(), name="flow-create"),
    path("flows/search", api.FlowSearchApi.as_view(), name="flow-search"),
    path("flows/validate", api.FlowValidateApi.as_view(), name="flow-validate"),
    path("flows/distinct-namespaces", api.FlowDistinctNamespacesApi.as_view(), name="flow-distinct-namespaces"),
    path("flows/enable/by-ids", api.FlowEnableByIdsApi.as_view(), name="flow-enable-by-ids"),
    path("flows/disable/by-ids", api.FlowDisableByIdsApi.as_view(), name="flow-disable-by-ids"),
    path("flows/<str:namespace>", api.FlowListByNamespaceApi.as_view(), name="flow-list-by-namespace"),
    path("flows/<str:namespace>/<str:flow_id>", api.FlowDetailApi.as_view(), name="flow-detail"),
    path("flows/<str:namespace>/<str:flow_id>/revisions", api.FlowRevisionListApi.as_view(), name="flow-revisions"),
    path("flows/<str:namespace>/<str:flow_id>/duplicate", api.FlowDuplicateApi.as_view(), name="flow-duplicate"),
    path("namespaces/search", namespace_api.NamespaceSearchApi.as_view(), name="namespace-search"),
    path("namespaces/<str:namespace>", namespace_api.NamespaceDetailApi.as_view(), name="namespace-detail"),
    path("namespaces/<str:namespace>/tree", namespace_api.NamespaceTreeApi.as_view(), name="namespace-tree"),
    path("namespaces/<str:namespace>/", include("namespaces.file_urls")),
    path("namespaces/<str:namespace>/secrets", secret_api.SecretListApi.as_view(), name="secret-list"),
    path("namespaces/<str:namespace>/secrets/<str:key>", secret_api.SecretDetailApi.as_view(), name="secret-detail"),
]
