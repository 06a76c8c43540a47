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
from flowhub.api.serializers import CompactSerializer

from . import trigger_actions, trigger_selectors
from .models import Trigger

TAGS = ["Triggers"]


class TriggerSerializer(CompactSerializer):
    """Kestra's Trigger: the state of one trigger of a flow."""

    tenantId = serializers.SerializerMethodField()
    namespace = serializers.CharField()
    flowId = serializers.CharField(source="flow_id")
    triggerId = serializers.CharField(source="trigger_id")
    type = serializers.CharField(help_text="flowhub: the trigger's type.")
    date = serializers.SerializerMethodField(help_text="The date it last fired for, else when it was first saved.")
    nextExecutionDate = serializers.DateTimeField(
        source="next_date", required=False, help_text="A Schedule's next date, once the scheduler computed it."
    )
    executionId = serializers.SerializerMethodField(
        help_text="The execution it started that still runs: a Schedule waits for it unless allowConcurrent."
    )
    disabled = serializers.BooleanField()
    updatedDate = serializers.DateTimeField(source="updated_at")

    def get_tenantId(self, trigger: Trigger) -> str:
        return "main"

    def get_date(self, trigger: Trigger) -> str:
        return serializers.DateTimeField().to_representation(trigger.last_date or trigger.created_at)

    def get_executionId(self, trigger: Trigger) -> str | None:
        return trigger.last_execution_id if getattr(trigger, "locked", False) else None


class TriggerPageSerializer(serializers.Serializer):
    results = TriggerSerializer(many=True)
    total = serializers.IntegerField()


class TriggerWithDefinitionSerializer(serializers.Serializer):
    abstractTrigger = serializers.DictField(required=False, help_text="The trigger as written in its flow.")
    triggerContext = TriggerSerializer()


class TriggerSearchPageSerializer(serializers.Serializer):
    results = TriggerWithDefinitionSerializer(many=True)
    total = serializers.IntegerField()


class BulkResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class TriggerRefSerializer(serializers.Serializer):
    namespace = serializers.CharField()
    flowId = serializers.CharField()
    triggerId = serializers.CharField()


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


def _criteria(params: QueryDict) -> dict[str, Any]:
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


def _trigger_json(trigger: Trigger) -> dict[str, Any]:
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
        triggers = trigger_selectors.trigger_search(access=request_access(request), **_criteria(request.query_params))

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


class TriggerUpdateSerializer(TriggerRefSerializer):
    """Kestra's Trigger as its UI sends it back; flowhub reads the ids and `disabled`."""

    disabled = serializers.BooleanField()
    backfill = serializers.JSONField(required=False, allow_null=True)

    def validate_backfill(self, value: Any) -> Any:
        if value is not None:
            raise serializers.ValidationError(
                "flowhub does not start a backfill from the API yet: set `backfill` on the trigger in its flow"
            )
        return value


class TriggerSetDisabledSerializer(serializers.Serializer):
    triggers = serializers.ListField(child=TriggerRefSerializer(), allow_empty=False)
    disabled = serializers.BooleanField()


class TriggerUpdateApi(APIView):
    scopes_itself = True  # the trigger is named in the body

    @extend_schema(
        operation_id="updateTrigger",
        summary="Disable or enable one trigger: a disabled Schedule does not fire, its next date moves on",
        request=TriggerUpdateSerializer,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    def put(self, request: Request, **_: Any) -> Response:
        body = TriggerUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        namespace, flow_id = body.validated_data["namespace"], body.validated_data["flowId"]
        access_require(request_access(request), namespace, Role.EDITOR, what=f"flow '{namespace}.{flow_id}'")
        trigger = trigger_actions.trigger_set_disabled(
            namespace=namespace,
            flow_id=flow_id,
            trigger_id=body.validated_data["triggerId"],
            disabled=body.validated_data["disabled"],
        )
        return Response(_trigger_json(trigger))


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
        criteria = _criteria(request.query_params)
        triggers = trigger_selectors.trigger_search(access=request_access(request), role=Role.EDITOR, **criteria)
        count = trigger_actions.triggers_set_disabled(triggers=triggers, disabled=query.validated_data["disabled"])
        return Response({"count": count})


class TriggerUnlockApi(APIView):
    @extend_schema(
        operation_id="unlockTrigger",
        summary="Let a Schedule fire again while the execution it started still runs (409 if none runs)",
        request=None,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, namespace: str, flow_id: str, trigger_id: str, **_: Any) -> Response:
        trigger = trigger_actions.trigger_unlock(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
        return Response(_trigger_json(trigger))


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
        return Response(_trigger_json(trigger))


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
