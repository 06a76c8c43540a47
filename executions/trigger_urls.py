from django.urls import path

from . import trigger_api

# The fixed words first: `triggers/set-disabled/by-query` has the shape of `triggers/<namespace>/<flowId>`.
urlpatterns = [
    path("triggers", trigger_api.TriggerUpdateApi.as_view(), name="trigger-update"),
    path("triggers/search", trigger_api.TriggerSearchApi.as_view(), name="trigger-search"),
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
