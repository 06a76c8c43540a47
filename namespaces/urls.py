from django.urls import path

from . import api

urlpatterns = [
    path("flows", api.FlowCreateApi.as_view(), name="flow-create"),
    path("flows/<str:namespace>", api.FlowListByNamespaceApi.as_view(), name="flow-list-by-namespace"),
    path("flows/<str:namespace>/<str:flow_id>", api.FlowDetailApi.as_view(), name="flow-detail"),
]
