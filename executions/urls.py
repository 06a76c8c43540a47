from django.urls import path

from . import api, rerun_api, stats_api

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
    path(
        "executions/<str:execution_id>/resume/validate",
        api.ExecutionResumeValidateApi.as_view(),
        name="execution-resume-validate",
    ),
    path("executions/restart/by-ids", rerun_api.ExecutionRestartByIdsApi.as_view(), name="restart-by-ids"),
    path("executions/<str:execution_id>/restart", rerun_api.ExecutionRestartApi.as_view(), name="execution-restart"),
    path("executions/<str:execution_id>/actions/restart", rerun_api.ExecutionRestartActionApi.as_view()),
    path("executions/<str:execution_id>/replay", rerun_api.ExecutionReplayApi.as_view(), name="execution-replay"),
    path("executions/<str:execution_id>/actions/replay", rerun_api.ExecutionReplayActionApi.as_view()),
    path("executions/<str:execution_id>/replay-with-inputs", rerun_api.ExecutionReplayWithInputsApi.as_view()),
    path(
        "executions/<str:execution_id>/actions/replay-with-inputs",
        rerun_api.ExecutionReplayWithInputsActionApi.as_view(),
    ),
    path(
        "executions/<str:execution_id>/taskruns/<str:task_run_id>/skip",
        rerun_api.TaskRunSkipApi.as_view(),
        name="task-run-skip",
    ),
    path("executions/<str:namespace>/<str:flow_id>", api.ExecutionCreateApi.as_view(), name="execution-create"),
    path("executions/trigger/<str:namespace>/<str:flow_id>", api.ExecutionTriggerLegacyApi.as_view()),
    path("executions/<str:execution_id>", api.ExecutionDetailApi.as_view(), name="execution-detail"),
    path("logs/<str:execution_id>", api.LogListApi.as_view(), name="log-list"),
    path("stats/executions", stats_api.ExecutionStatsApi.as_view(), name="execution-stats"),
]
