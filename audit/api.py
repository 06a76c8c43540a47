"""`GET /audit`: the audit log, newest first, as far as the caller is admin; Kestra's list shape and filters."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import request_access
from flowhub.api.filters import Filter, parse_filters
from flowhub.api.pagination import MAX_PAGE_SIZE, page_request, paged_response
from flowhub.api.serializers import CompactSerializer, OptionalTextField

from .selectors import AUDIT_FILTERS, audit_entries

AUDIT_SORTS = {"at": "at", "action": "action", "namespace": "namespace", "actor": "actor_name", "target": "target"}
NEWEST_FIRST = ("-at", "-id")
FLAT_PARAMETERS = {
    "namespace": ("PREFIX", "This namespace and those below it"),
    "actor": ("EQUALS", "The username of who acted"),
    "action": ("EQUALS", "An action, e.g. flow.update; ending with a dot, every action it begins, e.g. flow."),
    "target": ("EQUALS", "A flow id, KV key, file path, execution id…"),
    "via": ("EQUALS", "api, admin, cli or system"),
    "requestId": ("EQUALS", "The X-Request-ID (traceId) of the request that acted"),
    "startDate": ("GREATER_THAN_OR_EQUAL_TO", "At or after (ISO-8601 with a zone)"),
    "endDate": ("LESS_THAN_OR_EQUAL_TO", "At or before (ISO-8601 with a zone)"),
}
"""The flat parameters, as Kestra's legacy ones: for each, the filter operation it stands for."""


def flat_conditions(params: QueryDict) -> list[Filter]:
    conditions = []
    for name, (operation, _) in FLAT_PARAMETERS.items():
        for value in params.getlist(name):
            if value == "":
                continue
            prefix = name == "action" and value.endswith(".")
            conditions.append(Filter(name, "STARTS_WITH" if prefix else operation, value))
    return conditions


class AuditEntrySerializer(CompactSerializer):
    """One entry of the audit log; empty fields are left out."""

    id = serializers.CharField()
    at = serializers.DateTimeField()
    actor = OptionalTextField(source="actor_name", help_text="The username; it outlives the user")
    tokenId = OptionalTextField(source="token_id", help_text="The API token used, if one was")
    tokenPrefix = OptionalTextField(source="token_prefix")
    via = serializers.ChoiceField(choices=["api", "admin", "cli", "system"])
    action = serializers.CharField()
    namespace = OptionalTextField(help_text="Left out for what is in no namespace (tokens…)")
    target = OptionalTextField()
    detail = serializers.DictField(help_text="A few facts (revision, count, state); never a value")
    requestId = OptionalTextField(source="request_id")
    ip = serializers.IPAddressField(required=False)


class AuditPageSerializer(serializers.Serializer):
    results = AuditEntrySerializer(many=True)
    total = serializers.IntegerField()


class AuditListApi(APIView):
    # Each row is in one namespace (or none): the list keeps those where the caller is admin.
    scopes_itself = True
    required_role = Role.ADMIN

    @extend_schema(
        operation_id="searchAuditLog",
        summary="Who did what, newest first: the entries of the namespaces where the caller is admin",
        description="Filter fields: "
        + "; ".join(f"{field} ({', '.join(sorted(operations))})" for field, operations in AUDIT_FILTERS.items()),
        parameters=[
            OpenApiParameter("page", int, description="From 1"),
            OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
            OpenApiParameter("sort", str, many=True, description="field:asc|desc; fields: " + ", ".join(AUDIT_SORTS)),
            *(OpenApiParameter(name, str, description=text) for name, (_, text) in FLAT_PARAMETERS.items()),
        ],
        responses=AuditPageSerializer,
        tags=["Audit"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        params = request.query_params
        paging = page_request(params, AUDIT_SORTS, default=NEWEST_FIRST)
        conditions = parse_filters(params, AUDIT_FILTERS) + flat_conditions(params)
        entries = audit_entries(access=request_access(request), conditions=conditions)
        return paged_response(request, entries, paging, lambda rows: AuditEntrySerializer(rows, many=True).data)
