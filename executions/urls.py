from django.urls import path

from . import api

# Fixed words before `executions/<namespace>/<flowId>`: `executions/<id>/kill` is two segments too.
urlpatterns = [
    path("executions/kill/by-ids", api.ExecutionKillByIdsApi.as_view(), name="execution-kill-by-ids"),
    path("executions/<str:execution_id>/kill", api.ExecutionKillApi.as_view(), name="execution-kill"),
    path(
        "executions/<str:execution_id>/actions/kill", api.ExecutionKillActionApi.as_view(), name="execution-kill-action"
    ),
    path("executions/<str:execution_id>/pause", api.ExecutionPauseApi.as_view(), name="execution-pause"),
    path("executions/<str:execution_id>/actions/pause", api.ExecutionPauseActionApi.as_view(), name="pause-2"),
    path("executions/<str:execution_id>/resume", api.ExecutionResumeApi.as_view(), name="execution-resume"),
    path("executions/<str:execution_id>/file", api.ExecutionFileApi.as_view(), name="execution-file"),
    path("executions/<str:execution_id>/file/metas", api.ExecutionFileMetasApi.as_view(), name="execution-file-metas"),
    path("executions/<str:execution_id>/actions/resume", api.ExecutionResumeActionApi.as_view(), name="resume-2"),
    path("executions/<str:namespace>/<str:flow_id>", api.ExecutionCreateApi.as_view(), name="execution-create"),
    path("executions/trigger/<str:namespace>/<str:flow_id>", api.ExecutionTriggerLegacyApi.as_view()),
    path("executions/<str:execution_id>", api.ExecutionDetailApi.as_view(), name="execution-detail"),
    path("logs/<str:execution_id>", api.LogListApi.as_view(), name="log-list"),
]
