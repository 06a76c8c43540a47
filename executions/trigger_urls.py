from django.urls import path

from . import trigger_api
from . import trigger_backfill_api as backfill

# The fixed words first: `triggers/set-disabled/by-query` has the shape of `triggers/<namespace>/<flowId>`.
urlpatterns = [
    path("triggers", trigger_api.TriggerUpdateApi.as_view(), name="trigger-update"),
    path("triggers/search", trigger_api.TriggerSearchApi.as_view(), name="trigger-search"),
    path("triggers/backfill/create", trigger_api.TriggerBackfillCreateApi.as_view(), name="backfill-create"),
    path("triggers/backfill/pause", backfill.BackfillPauseApi.as_view(), name="backfill-pause"),
    path(
        "triggers/backfill/pause/by-triggers", backfill.BackfillPauseByTriggersApi.as_view(), name="backfill-pause-ids"
    ),
    path("triggers/backfill/pause/by-query", backfill.BackfillPauseByQueryApi.as_view(), name="backfill-pause-query"),
    path("triggers/backfill/unpause", backfill.BackfillUnpauseApi.as_view(), name="backfill-unpause"),
    path(
        "triggers/backfill/unpause/by-triggers",
        backfill.BackfillUnpauseByTriggersApi.as_view(),
        name="backfill-unpause-ids",
    ),
    path(
        "triggers/backfill/unpause/by-query",
        backfill.BackfillUnpauseByQueryApi.as_view(),
        name="backfill-unpause-query",
    ),
    path("triggers/backfill/delete", backfill.BackfillDeleteApi.as_view(), name="backfill-delete"),
    path(
        "triggers/backfill/delete/by-triggers",
        backfill.BackfillDeleteByTriggersApi.as_view(),
        name="backfill-delete-ids",
    ),
    path(
        "triggers/backfill/delete/by-query", backfill.BackfillDeleteByQueryApi.as_view(), name="backfill-delete-query"
    ),
    path("triggers/set-disabled", trigger_api.TriggerSetDisabledApi.as_view(), name="trigger-set-disabled"),
    path("triggers/delete/by-triggers", backfill.DeleteByTriggersApi.as_view(), name="trigger-delete-by-triggers"),
    path("triggers/delete/by-query", backfill.DeleteByQueryApi.as_view(), name="trigger-delete-by-query"),
    path("triggers/unlock/by-triggers", backfill.UnlockByTriggersApi.as_view(), name="trigger-unlock-by-triggers"),
    path("triggers/unlock/by-query", backfill.UnlockByQueryApi.as_view(), name="trigger-unlock-by-query"),
    path(
        "triggers/set-disabled/by-triggers",
        trigger_api.TriggerSetDisabledByTriggersApi.as_view(),
        name="trigger-set-disabled-by-triggers",
    ),
    path(
        "triggers/set-disabled/by-query",
        trigger_api.TriggerSetDisabledByQueryApi.as_view(),
        name="trigger-set-disabled-by-query",
    ),
    path("triggers/<str:namespace>/<str:flow_id>", trigger_api.TriggerFlowListApi.as_view(), name="trigger-list"),
    path(
        "triggers/<str:namespace>/<str:flow_id>/disable",
        trigger_api.FlowTriggersDisableApi.as_view(),
        name="flow-triggers-disable",
    ),
    path(
        "triggers/<str:namespace>/<str:flow_id>/enable",
        trigger_api.FlowTriggersEnableApi.as_view(),
        name="flow-triggers-enable",
    ),
    path(
        "triggers/<str:namespace>/<str:flow_id>/<str:trigger_id>",
        trigger_api.TriggerDeleteApi.as_view(),
        name="trigger-delete",
    ),
    path(
        "triggers/<str:namespace>/<str:flow_id>/<str:trigger_id>/unlock",
        trigger_api.TriggerUnlockApi.as_view(),
        name="trigger-unlock",
    ),
    path(
        "triggers/<str:namespace>/<str:flow_id>/<str:trigger_id>/restart",
        trigger_api.TriggerRestartApi.as_view(),
        name="trigger-restart",
    ),
]
