from django.urls import path

from . import (
    api,
    create_api,
    delete_api,
    eval_api,
    flow_api,
    label_api,
    log_api,
    output_api,
    queue_api,
    rerun_api,
    search_api,
    stats_api,
    status_api,
    stream_api,
    webhook_api,
)

# Fixed words before `executions/<namespace>/<flowId>`: `executions/<id>/kill` is two segments too.
urlpatterns = [
    path("executions", search_api.ExecutionListApi.as_view(), name="execution-list"),
    path("executions/search", search_api.ExecutionSearchApi.as_view(), name="execution-search"),
    path("executions/latest", flow_api.ExecutionsLatestApi.as_view(), name="executions-latest"),
    path("executions/namespaces", flow_api.ExecutableNamespacesApi.as_view(), name="executable-namespaces"),
    path(
        "executions/namespaces/<str:namespace>/flows",
        flow_api.ExecutableFlowsApi.as_view(),
        name="executable-flows",
    ),
    path(
        "executions/flows/<str:namespace>/<str:flow_id>",
        flow_api.FlowForExecutionApi.as_view(),
        name="flow-for-execution",
    ),
    path("executions/<str:execution_id>/flow", flow_api.ExecutionFlowApi.as_view(), name="execution-flow"),
    path("executions/by-ids", delete_api.ExecutionDeleteByIdsApi.as_view(), name="execution-delete-by-ids"),
    path("executions/by-query", delete_api.ExecutionDeleteByQueryApi.as_view(), name="execution-delete-by-query"),
    path("executions/<str:execution_id>/follow", stream_api.ExecutionFollowApi.as_view(), name="execution-follow"),
    path("logs/<str:execution_id>/follow", stream_api.LogFollowApi.as_view(), name="log-follow"),
    path("executions/kill/by-ids", api.ExecutionKillByIdsApi.as_view(), name="execution-kill-by-ids"),
    path("executions/kill/by-query", api.ExecutionKillByQueryApi.as_view(), name="execution-kill-by-query"),
    path("executions/pause/by-ids", api.ExecutionPauseByIdsApi.as_view(), name="pause-by-ids"),
    path("executions/pause/by-query", api.ExecutionPauseByQueryApi.as_view(), name="pause-by-query"),
    path("executions/resume/by-ids", api.ExecutionResumeByIdsApi.as_view(), name="resume-by-ids"),
    path("executions/resume/by-query", api.ExecutionResumeByQueryApi.as_view(), name="resume-by-query"),
    path("executions/replay/by-ids", rerun_api.ExecutionReplayByIdsApi.as_view(), name="replay-by-ids"),
    path("executions/replay/by-query", rerun_api.ExecutionReplayByQueryApi.as_view(), name="replay-by-query"),
    path("executions/labels/by-ids", label_api.ExecutionLabelsByIdsApi.as_view(), name="labels-by-ids"),
    path("executions/labels/by-query", label_api.ExecutionLabelsByQueryApi.as_view(), name="labels-by-query"),
    path("executions/change-status/by-ids", status_api.ExecutionStatusByIdsApi.as_view(), name="status-by-ids"),
    path("executions/change-status/by-query", status_api.ExecutionStatusByQueryApi.as_view(), name="status-by-query"),
    path("executions/<str:execution_id>/change-status", status_api.ExecutionStatusApi.as_view(), name="status"),
    path("executions/<str:execution_id>/actions/change-status", status_api.ExecutionStatusActionApi.as_view()),
    path("executions/unqueue/by-ids", queue_api.ExecutionUnqueueByIdsApi.as_view(), name="unqueue-by-ids"),
    path("executions/unqueue/by-query", queue_api.ExecutionUnqueueByQueryApi.as_view(), name="unqueue-by-query"),
    path("executions/force-run/by-ids", queue_api.ExecutionForceRunByIdsApi.as_view(), name="force-run-by-ids"),
    path("executions/force-run/by-query", queue_api.ExecutionForceRunByQueryApi.as_view(), name="force-run-by-query"),
    path("executions/<str:execution_id>/unqueue", queue_api.ExecutionUnqueueApi.as_view(), name="unqueue"),
    path("executions/<str:execution_id>/actions/unqueue", queue_api.ExecutionUnqueueActionApi.as_view()),
    path("executions/<str:execution_id>/force-run", queue_api.ExecutionForceRunApi.as_view(), name="force-run"),
    path("executions/<str:execution_id>/actions/force-run", queue_api.ExecutionForceRunActionApi.as_view()),
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
    path("executions/restart/by-query", rerun_api.ExecutionRestartByQueryApi.as_view(), name="restart-by-query"),
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
    path("executions/<str:execution_id>/labels", label_api.ExecutionLabelsApi.as_view(), name="execution-labels"),
    path("executions/<str:execution_id>/actions/labels", label_api.ExecutionLabelsActionApi.as_view()),
    path(
        "executions/<str:execution_id>/taskruns/<str:task_run_id>/outputs",
        output_api.TaskRunOutputsApi.as_view(),
        name="task-run-outputs",
    ),
    # The legacy path first: `executions/trigger/<ns>/validate` triggers flow `validate`, it validates nothing.
    path("executions/trigger/<str:namespace>/<str:flow_id>", create_api.ExecutionTriggerLegacyApi.as_view()),
    # Eval after it, so that it still triggers flows of a namespace named `eval`; and before the two paths eval
    # shadows: a flow named `eval` is started by the legacy path only, and its inputs cannot be validated.
    path("executions/<str:execution_id>/eval", eval_api.ExpressionEvalApi.as_view(), name="execution-eval"),
    path(
        "executions/<str:execution_id>/eval/<str:task_run_id>",
        eval_api.TaskRunExpressionEvalApi.as_view(),
        name="task-run-eval",
    ),
    path(
        "executions/<str:namespace>/<str:flow_id>/validate",
        create_api.ExecutionInputsValidateApi.as_view(),
        name="execution-inputs-validate",
    ),
    path("executions/<str:namespace>/<str:flow_id>", create_api.ExecutionCreateApi.as_view(), name="execution-create"),
    path("executions/<str:execution_id>", api.ExecutionDetailApi.as_view(), name="execution-detail"),
    path("outputs/executions/<str:execution_id>", output_api.OutputsExecutionApi.as_view(), name="outputs-execution"),
    path("outputs/tasks/<str:execution_id>", output_api.OutputsTasksApi.as_view(), name="outputs-tasks"),
    path(
        "outputs/tasks/<str:execution_id>/<str:task_run_id>",
        output_api.OutputsTaskRunApi.as_view(),
        name="outputs-task-run",
    ),
    path("logs/search", log_api.LogSearchApi.as_view(), name="log-search"),
    path("logs/<str:execution_id>/download", log_api.LogDownloadApi.as_view(), name="log-download"),
    path("logs/<str:execution_id>", api.LogListApi.as_view(), name="log-list"),
    # After `logs/<executionId>/download` and `/follow`: the logs of a flow named so are not deleted by this path.
    path("logs/<str:namespace>/<str:flow_id>", log_api.FlowLogDeleteApi.as_view(), name="flow-log-delete"),
    path("stats/executions", stats_api.ExecutionStatsApi.as_view(), name="execution-stats"),
]

# Webhook calls first: `executions/webhook/<ns>/<flowId>/<key>` also fits `executions/<id>/taskruns/<id>/skip`.
urlpatterns = [
    path("executions/webhook/<str:namespace>/<str:flow_id>/<str:key>", webhook_api.WebhookKeyApi.as_view()),
    path(
        "executions/webhook/<str:namespace>/<str:flow_id>/<str:key>/<path:path>",
        webhook_api.WebhookKeyPathApi.as_view(),
    ),
    *urlpatterns,
]
