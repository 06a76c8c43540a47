"""Deleting executions, one (`DELETE /executions/{id}`, in api.py beside its GET), by ids or by query
(kestra-api.md §4.4)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from access.roles import Role
from flowhub.engine.states import TERMINAL

from . import deletion
from .bulk_api import BulkAction, bulk_views


class DeleteQuerySerializer(serializers.Serializer):
    deleteLogs = serializers.BooleanField(
        default=True, help_text="Always true: flowhub keeps no log line without its execution"
    )
    deleteMetrics = serializers.BooleanField(default=True, help_text="Accepted; flowhub stores no per-execution metric")
    deleteStorage = serializers.BooleanField(default=True, help_text="Delete its stored files (inputs, task outputs)")

    def validate_deleteLogs(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("flowhub keeps no log line without its execution; it must be true")
        return value


class BulkDeleteQuerySerializer(DeleteQuerySerializer):
    includeNonTerminated = serializers.BooleanField(
        default=False, help_text="Delete those that have not ended too, killing them first"
    )


def delete_query(request: Request, serializer: type[DeleteQuerySerializer]) -> dict[str, Any]:
    # A dict, not the QueryDict: DRF reads a boolean missing from form data as false, not its default.
    query = serializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


DELETION = inline_serializer(
    "ExecutionDeletion",
    {
        "id": serializers.CharField(),
        "deletedLogs": serializers.IntegerField(help_text="Log lines deleted"),
        "deletedFiles": serializers.IntegerField(help_text="Stored files deleted (0 with deleteStorage=false)"),
    },
)


def deletion_json(deleted: deletion.Deletion) -> dict[str, Any]:
    return {"id": deleted.execution_id, "deletedLogs": deleted.logs, "deletedFiles": deleted.files}


def _delete(execution_id: str, options: dict[str, Any]) -> None:
    deletion.execution_delete(
        execution_id=execution_id,
        include_non_terminated=options["includeNonTerminated"],
        delete_storage=options["deleteStorage"],
    )


ExecutionDeleteByIdsApi, ExecutionDeleteByQueryApi = bulk_views(
    BulkAction(
        name="delete",
        operation="deleteExecutions",
        summary="Delete the executions that have ended (those that run too with includeNonTerminated, killed first)",
        act=_delete,
        applies_to=lambda options: Q() if options["includeNonTerminated"] else Q(state__in=TERMINAL),
        role=Role.EDITOR,
        method="delete",
        options=lambda request: delete_query(request, BulkDeleteQuerySerializer),
        parameters=[BulkDeleteQuerySerializer],
    )
)
