"""Trigger endpoints at Kestra's paths (its TriggerController), and flowhub's per-flow enable and disable."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import access_require, namespace_q, request_access
from flowhub.api.filters import parse_filters
from flowhub.api.pagination import MAX_PAGE_SIZE, page_request, paged_response

from . import trigger_actions, trigger_backfills, trigger_selectors
from .models import Trigger
from .trigger_serializers import (
    BulkResponseSerializer,
    QueryFiltersBodySerializer,
    TriggerBackfillCreateSerializer,
    TriggerDisableSerializer,
    TriggerPageSerializer,
    TriggerSearchPageSerializer,
    TriggerSerializer,
    TriggerSetDisabledSerializer,
    TriggerUpdateSerializer,
)

TAGS = ["Triggers"]


TRIGGER_SORTS = {
    "namespace": "namespace",
    "flowId": "flow_id",
    "triggerId": "trigger_id",
    "date": "last_date",
    "nextExecutionDate": "next_date",
    "updatedDate": "updated_at",
}
DEFAULT_SORT = ("namespace", "flow_id", "trigger_id")
TRIGGER_FILTERS = {
    "q": frozenset({"EQUALS", "CONTAINS"}),
    "namespace": frozenset({"EQUALS", "PREFIX", "STARTS_WITH"}),
    "flowId": frozenset({"EQUALS"}),
    "triggerId": frozenset({"EQUALS"}),
}
QUERY_PARAMETERS = [
    OpenApiParameter("q", str, description="Text in the trigger, flow or namespace id"),
    OpenApiParameter("namespace", str, description="This namespace and those below it"),
    OpenApiParameter("flowId", str),
    OpenApiParameter(
        "filters", str, description="filters[q|namespace|flowId|triggerId][OP]=value, as Kestra's query filters"
    ),
]
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="From 1"),
    OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
    OpenApiParameter("sort", str, many=True, description="field:asc|desc; fields: " + ", ".join(TRIGGER_SORTS)),
]


def trigger_criteria(params: QueryDict) -> dict[str, Any]:
    """The search criteria of Kestra's `filters[...]` and its legacy `q`, `namespace` (a prefix), `flowId`."""
    criteria: dict[str, Any] = {
        "text": params.get("q") or None,
        "namespace_prefix": params.get("namespace") or None,
        "flow_id": params.get("flowId") or None,
    }
    for condition in parse_filters(params, TRIGGER_FILTERS):
        if condition.field == "q":
            criteria["text"] = condition.value
        elif condition.field == "namespace":
            criteria["namespace" if condition.operation == "EQUALS" else "namespace_prefix"] = condition.value
        elif condition.field == "flowId":
            criteria["flow_id"] = condition.value
        else:
            criteria["trigger_id"] = condition.value
    return criteria


def trigger_query(request: Request) -> QueryDict:
    """The request's query, with the `filters` of a JSON body added: Kestra's clients send a DELETE's there."""
    params = request.query_params.copy()
    if isinstance(request.data, dict) and "filters" in request.data:
        body = QueryFiltersBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        for condition in body.validated_data["filters"]:
            params.appendlist(f"filters[{condition['field']}][{condition['operation']}]", condition["value"])
    return params


def trigger_json(trigger: Trigger) -> dict[str, Any]:
    """The trigger as the API shows it, read again with whether it is locked."""
    row = trigger_selectors.trigger_search(
        access=None, namespace=trigger.namespace, flow_id=trigger.flow_id, trigger_id=trigger.trigger_id
    ).get()
    return dict(TriggerSerializer(row).data)


class TriggerSearchApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="searchTriggers",
        summary="Search triggers, each with its definition as written in its flow",
        parameters=[*PAGE_PARAMETERS, *QUERY_PARAMETERS],
        responses=TriggerSearchPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, **_: Any) -> Response:
        paging = page_request(request.query_params, TRIGGER_SORTS, default=DEFAULT_SORT)
        triggers = trigger_selectors.trigger_search(
            access=request_access(request), **trigger_criteria(request.query_params)
        )

        def serialize(rows: list[Trigger]) -> list[dict[str, Any]]:
            definitions = trigger_selectors.trigger_definitions(rows)
            items = []
            for row in rows:
                item: dict[str, Any] = {"triggerContext": TriggerSerializer(row).data}
                if (definition := definitions.get((row.namespace, row.flow_id, row.trigger_id))) is not None:
                    item["abstractTrigger"] = definition
                items.append(item)
            return items

        return paged_response(request, triggers, paging, serialize)


class TriggerFlowListApi(APIView):
    @extend_schema(
        operation_id="searchTriggersForFlow",
        summary="The triggers of one flow, with their state (404 for a flow that does not exist)",
        parameters=[*PAGE_PARAMETERS, OpenApiParameter("q", str, description="Text in the trigger id")],
        responses=TriggerPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        paging = page_request(request.query_params, TRIGGER_SORTS, default=DEFAULT_SORT)
        triggers = trigger_selectors.trigger_list(
            namespace=namespace, flow_id=flow_id, text=request.query_params.get("q") or None
        )
        return paged_response(request, triggers, paging, lambda rows: TriggerSerializer(rows, many=True).data)


class TriggerUpdateApi(APIView):
    scopes_itself = True  # the trigger is named in the body

    @extend_schema(
        operation_id="updateTrigger",
        summary="Start a backfill of a Schedule (executor), or disable or enable a trigger (editor)",
        description=(
            "With a `backfill`, the scheduler fires each date of the Schedule from its `start` to its `end` (now, "
            "when not given), besides the regular ones; it replaces the backfill the trigger runs. Without one, "
            "`disabled` disables or enables the trigger: a disabled Schedule does not fire, its next date moves on."
        ),
        request=TriggerUpdateSerializer,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    def put(self, request: Request, **_: Any) -> Response:
        body = TriggerUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data.get("backfill") is not None:
            return _backfill_started(request, body.validated_data)
        return _disabled_set(request, body.validated_data)


class TriggerSetDisabledApi(APIView):
    """Kestra 2.0's way to disable or enable one trigger: `PUT /triggers/set-disabled`."""

    scopes_itself = True

    @extend_schema(
        operation_id="disableTriggerById",
        summary="Disable or enable one trigger: a disabled Schedule does not fire, its next date moves on",
        request=TriggerDisableSerializer,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    def put(self, request: Request, **_: Any) -> Response:
        body = TriggerDisableSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _disabled_set(request, body.validated_data)


class TriggerBackfillCreateApi(APIView):
    """Kestra 2.0's way to start a backfill: `PUT /triggers/backfill/create`."""

    scopes_itself = True

    @extend_schema(
        operation_id="createBackfill",
        summary="Start a backfill of a Schedule: it fires each of its dates from `start` to `end` (now, by default)",
        request=TriggerBackfillCreateSerializer,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    def put(self, request: Request, **_: Any) -> Response:
        body = TriggerBackfillCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _backfill_started(request, body.validated_data)


def trigger_ref(request: Request, data: dict[str, Any], role: Role) -> dict[str, str]:
    """The trigger a body names, once the caller is found to hold `role` on its namespace."""
    namespace, flow_id = data["namespace"], data["flowId"]
    access_require(request_access(request), namespace, role, what=f"flow '{namespace}.{flow_id}'")
    return {"namespace": namespace, "flow_id": flow_id, "trigger_id": data["triggerId"]}


def _disabled_set(request: Request, data: dict[str, Any]) -> Response:
    ref = trigger_ref(request, data, Role.EDITOR)
    return Response(trigger_json(trigger_actions.trigger_set_disabled(**ref, disabled=data["disabled"])))


def _backfill_started(request: Request, data: dict[str, Any]) -> Response:
    ref = trigger_ref(request, data, Role.EXECUTOR)
    return Response(trigger_json(trigger_backfills.trigger_backfill_start(**ref, **data["backfill"])))


class TriggerSetDisabledByTriggersApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="disabledTriggersByIds",
        summary="Disable or enable the given triggers; those that do not exist are left out of the count",
        request=TriggerSetDisabledSerializer,
        responses=BulkResponseSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        body = TriggerSetDisabledSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        refs = [(ref["namespace"], ref["flowId"], ref["triggerId"]) for ref in body.validated_data["triggers"]]
        triggers = trigger_actions.triggers_matching(refs).filter(namespace_q(request_access(request), Role.EDITOR))
        count = trigger_actions.triggers_set_disabled(triggers=triggers, disabled=body.validated_data["disabled"])
        return Response({"count": count})


class TriggerSetDisabledByQueryApi(APIView):
    scopes_itself = True

    class FilterSerializer(serializers.Serializer):
        disabled = serializers.BooleanField(default=True)

    @extend_schema(
        operation_id="disabledTriggersByQuery",
        summary="Disable (or with disabled=false, enable) every trigger the query matches",
        parameters=[FilterSerializer, *QUERY_PARAMETERS],
        request=None,
        responses=BulkResponseSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        # A dict, not the QueryDict: DRF reads a boolean missing from form data as false, not its default.
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        criteria = trigger_criteria(request.query_params)
        triggers = trigger_selectors.trigger_search(access=request_access(request), role=Role.EDITOR, **criteria)
        count = trigger_actions.triggers_set_disabled(triggers=triggers, disabled=query.validated_data["disabled"])
        return Response({"count": count})


class TriggerUnlockApi(APIView):
    required_role = Role.EXECUTOR

    @extend_schema(
        operation_id="unlockTrigger",
        summary="Let a Schedule fire again while the execution it started still runs (409 if none runs)",
        request=None,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, namespace: str, flow_id: str, trigger_id: str, **_: Any) -> Response:
        trigger = trigger_actions.trigger_unlock(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
        return Response(trigger_json(trigger))


class TriggerRestartApi(APIView):
    @extend_schema(
        operation_id="restartTrigger",
        summary="Unlock a trigger and compute its next date again from the date it last fired for",
        request=None,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, namespace: str, flow_id: str, trigger_id: str, **_: Any) -> Response:
        trigger = trigger_actions.trigger_restart(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
        return Response(trigger_json(trigger))


class TriggerDeleteApi(APIView):
    @extend_schema(
        operation_id="deleteTrigger",
        summary="Forget a trigger's state (dates, lock, backfill, disabling): it starts afresh as just saved",
        description=(
            "The trigger stays in its flow: a Schedule fires next at its first date after the scheduler's next "
            "tick, its missed and backfilled dates forgotten. Its running executions go on."
        ),
        request=None,
        responses={204: None},
        tags=TAGS,
    )
    def delete(self, request: Request, namespace: str, flow_id: str, trigger_id: str, **_: Any) -> Response:
        trigger_actions.trigger_reset(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
        return Response(status=204)


def _flow_toggle_view(disabled: bool) -> type[APIView]:
    verb = "disable" if disabled else "enable"

    class FlowTriggersToggleApi(APIView):
        class FilterSerializer(serializers.Serializer):
            triggerId = serializers.CharField(required=False, help_text="Only this trigger of the flow")

        @extend_schema(
            operation_id=f"{verb}FlowTriggers",
            summary=f"flowhub: {verb} every trigger of a flow, or only `triggerId`; answers the flow's triggers",
            parameters=[FilterSerializer],
            request=None,
            responses=TriggerSerializer(many=True),
            tags=TAGS,
        )
        def post(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
            query = self.FilterSerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            if trigger_id := query.validated_data.get("triggerId"):
                trigger_actions.trigger_set_disabled(
                    namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, disabled=disabled
                )
            else:
                triggers = trigger_selectors.trigger_list(namespace=namespace, flow_id=flow_id)
                trigger_actions.triggers_set_disabled(triggers=triggers, disabled=disabled)
            triggers = trigger_selectors.trigger_list(namespace=namespace, flow_id=flow_id).order_by(*DEFAULT_SORT)
            return Response(TriggerSerializer(triggers, many=True).data)

    FlowTriggersToggleApi.__name__ = FlowTriggersToggleApi.__qualname__ = f"FlowTriggers{verb.title()}Api"
    return FlowTriggersToggleApi


FlowTriggersDisableApi = _flow_toggle_view(disabled=True)
FlowTriggersEnableApi = _flow_toggle_view(disabled=False)
