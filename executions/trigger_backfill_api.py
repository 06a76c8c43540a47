"""Kestra's backfill endpoints (pause, unpause, delete one trigger's backfill, or those of given triggers, or of
those a query matches), its bulk unlocks and its bulk deletes (resets). Backfills and unlocks are the executor's:
a backfill starts executions, an unlock lets a schedule start one; a reset enables a trigger, the editor's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import namespace_q, request_access

from . import trigger_actions, trigger_selectors
from .models import Trigger
from .trigger_api import QUERY_PARAMETERS, TAGS, trigger_criteria, trigger_json, trigger_query, trigger_ref
from .trigger_backfills import BackfillChange, trigger_backfill_change, triggers_backfill_change
from .trigger_serializers import BulkResponseSerializer, TriggerRefSerializer, TriggerSerializer

MAX_TRIGGERS = 1000
"""At most this many triggers in one by-triggers body."""


def _backfill_view(change: BackfillChange, method: str) -> type[APIView]:
    def act(self: APIView, request: Request, **_: Any) -> Response:
        body = TriggerRefSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        trigger = trigger_backfill_change(**trigger_ref(request, body.validated_data, Role.EXECUTOR), change=change)
        return Response(trigger_json(trigger))

    schema = extend_schema(
        operation_id=f"{change}Backfill",
        summary=f"{change.title()} the backfill a trigger runs (409 when it runs none)",
        request=TriggerRefSerializer,
        responses=TriggerSerializer,
        tags=TAGS,
    )
    name = f"TriggerBackfill{change.title()}Api"
    return type(name, (APIView,), {"scopes_itself": True, method: schema(act), "__qualname__": name})


def _bulk_views(
    name: str,
    operation: str,
    does: str,
    act: Callable[[QuerySet[Trigger]], int],
    role: Role = Role.EXECUTOR,
    method: str = "post",
) -> tuple[type[APIView], ...]:
    """The `/by-triggers` view (a JSON list of Kestra's Triggers) and the `/by-query` one (the search's filters, in
    the query or a JSON body's `filters`) of a bulk action on the triggers where the caller holds `role`; both
    answer `{"count": n}`, n the triggers it acted on (those it did not apply to, and those that do not exist, are
    left out)."""

    @extend_schema(
        operation_id=f"{operation}ByIds",
        summary=f"{does} the given triggers",
        request=TriggerRefSerializer(many=True),
        responses=BulkResponseSerializer,
        tags=TAGS,
    )
    def by_triggers(self: APIView, request: Request, **_: Any) -> Response:
        body = serializers.ListField(child=TriggerRefSerializer(), max_length=MAX_TRIGGERS)
        refs = [(ref["namespace"], ref["flowId"], ref["triggerId"]) for ref in body.run_validation(request.data)]
        triggers = trigger_actions.triggers_matching(refs).filter(namespace_q(request_access(request), role))
        return Response({"count": act(triggers)})

    @extend_schema(
        operation_id=f"{operation}ByQuery",
        summary=f"{does} the triggers the query matches",
        parameters=QUERY_PARAMETERS,
        request=None,
        responses=BulkResponseSerializer,
        tags=TAGS,
    )
    def by_query(self: APIView, request: Request, **_: Any) -> Response:
        criteria = trigger_criteria(trigger_query(request))
        triggers = trigger_selectors.trigger_search(access=request_access(request), role=role, **criteria)
        return Response({"count": act(triggers)})

    return tuple(
        type(
            f"{name}{suffix}Api",
            (APIView,),
            {"scopes_itself": True, method: view, "__qualname__": f"{name}{suffix}Api"},
        )
        for suffix, view in (("ByTriggers", by_triggers), ("ByQuery", by_query))
    )


def _backfill_bulk_views(change: BackfillChange) -> tuple[type[APIView], ...]:
    return _bulk_views(
        f"Backfill{change.title()}",
        f"{change}Backfill",
        f"{change.title()} the backfill of each of",
        lambda triggers: triggers_backfill_change(triggers=triggers, change=change),
    )


BackfillPauseApi = _backfill_view(BackfillChange.PAUSE, "put")
BackfillUnpauseApi = _backfill_view(BackfillChange.UNPAUSE, "put")
BackfillDeleteApi = _backfill_view(BackfillChange.DELETE, "post")
BackfillPauseByTriggersApi, BackfillPauseByQueryApi = _backfill_bulk_views(BackfillChange.PAUSE)
BackfillUnpauseByTriggersApi, BackfillUnpauseByQueryApi = _backfill_bulk_views(BackfillChange.UNPAUSE)
BackfillDeleteByTriggersApi, BackfillDeleteByQueryApi = _backfill_bulk_views(BackfillChange.DELETE)
UnlockByTriggersApi, UnlockByQueryApi = _bulk_views(
    "Unlock",
    "unlockTriggers",
    "Unlock each locked one of",
    lambda triggers: trigger_actions.triggers_unlock(triggers=triggers),
)
DeleteByTriggersApi, DeleteByQueryApi = _bulk_views(
    "Delete",
    "deleteTriggers",
    "Forget the state (as a single delete does) of each of",
    lambda triggers: trigger_actions.triggers_reset(triggers=triggers),
    role=Role.EDITOR,
    method="delete",
)
