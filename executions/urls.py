from django.urls import path

from . import api

urlpatterns = [
    path("executions/<str:namespace>/<str:flow_id>", api.ExecutionCreateApi.as_view(), name="execution-create"),
    path("executions/trigger/<str:namespace>/<str:flow_id>", api.ExecutionTriggerLegacyApi.as_view()),
    path("executions/<str:execution_id>", api.ExecutionDetailApi.as_view(), name="execution-detail"),
    path("logs/<str:execution_id>", api.LogListApi.as_view(), name="log-list"),
]
