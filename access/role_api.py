"""`/roles`: who holds which role where (DESIGN.md §7)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub.api.pagination import MAX_PAGE_SIZE, page_request, paged_response
from flowhub.api.problems import validated_body
from flowhub.api.serializers import CompactSerializer

from . import role_selectors, role_services
from .models import RoleBinding
from .roles import Role
from .selectors import request_access

TAGS = ["Roles"]
ROLE_NAMES = [role.label for role in Role]
BINDING_SORTS = {"namespace": "namespace", "role": "role", "createdAt": "created_at"}


class RoleBindingSerializer(CompactSerializer):
    id = serializers.IntegerField()
    namespace = serializers.CharField(help_text="A namespace prefix; empty: every namespace")
    role = serializers.ChoiceField(choices=ROLE_NAMES)
    user = serializers.CharField(source="user.username", default=None)
    group = serializers.CharField(source="group.name", default=None)
    createdAt = serializers.DateTimeField(source="created_at")


class RoleBindingPageSerializer(serializers.Serializer):
    results = RoleBindingSerializer(many=True)
    total = serializers.IntegerField()


def _binding(request: Request, binding_id: int) -> RoleBinding:
    return role_selectors.role_binding_get(access=request_access(request), user=request.user, binding_id=binding_id)


class RoleBindingListApi(APIView):
    scopes_itself = True  # the bindings of the namespaces the caller administers, and their own

    class RoleBindingInputSerializer(serializers.Serializer):
        namespace = serializers.CharField(allow_blank=True, max_length=150, help_text="Empty: every namespace")
        role = serializers.ChoiceField(choices=ROLE_NAMES)
        user = serializers.CharField(required=False, help_text="A username; or give group")
        group = serializers.CharField(required=False, help_text="A group name; or give user")

    @extend_schema(
        operation_id="listRoleBindings",
        summary="Role bindings: yours, and every one in the namespaces you administer",
        parameters=[
            OpenApiParameter("page", int, description="From 1"),
            OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
            OpenApiParameter("sort", str, many=True, description="field:asc|desc; " + ", ".join(BINDING_SORTS)),
            OpenApiParameter("namespace", str, description="This namespace prefix and those below it"),
            OpenApiParameter("user", str, description="A username"),
            OpenApiParameter("group", str, description="A group name"),
        ],
        responses=RoleBindingPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, **_: Any) -> Response:
        params = request.query_params
        paging = page_request(params, BINDING_SORTS, default=("namespace", "id"))
        bindings = role_selectors.role_binding_list(
            access=request_access(request),
            user=request.user,
            namespace_prefix=params.get("namespace"),
            username=params.get("user"),
            group=params.get("group"),
        )
        return paged_response(request, bindings, paging, lambda rows: RoleBindingSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="createRoleBinding",
        summary="Give a user or a group a role on a namespace and those below it (needs admin there)",
        request=RoleBindingInputSerializer,
        responses={201: RoleBindingSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        body = validated_body(self.RoleBindingInputSerializer(data=request.data), "invalid role binding")
        binding = role_services.role_binding_create(
            access=request_access(request),
            namespace=body["namespace"],
            role=body["role"],
            username=body.get("user"),
            group=body.get("group"),
        )
        return Response(RoleBindingSerializer(binding).data, status=201)


class RoleBindingDetailApi(APIView):
    scopes_itself = True

    class RoleChangeSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=ROLE_NAMES)

    @extend_schema(operation_id="getRoleBinding", responses=RoleBindingSerializer, tags=TAGS)
    def get(self, request: Request, binding_id: int, **_: Any) -> Response:
        return Response(RoleBindingSerializer(_binding(request, binding_id)).data)

    @extend_schema(
        operation_id="updateRoleBinding",
        summary="Change the role of a binding (needs admin on its namespace)",
        request=RoleChangeSerializer,
        responses=RoleBindingSerializer,
        tags=TAGS,
    )
    def put(self, request: Request, binding_id: int, **_: Any) -> Response:
        body = validated_body(self.RoleChangeSerializer(data=request.data), "invalid role binding")
        binding = role_services.role_binding_update(
            access=request_access(request), binding=_binding(request, binding_id), role=body["role"]
        )
        return Response(RoleBindingSerializer(binding).data)

    @extend_schema(
        operation_id="deleteRoleBinding",
        summary="Remove a binding (needs admin on its namespace)",
        responses={204: OpenApiResponse(description="Removed")},
        tags=TAGS,
    )
    def delete(self, request: Request, binding_id: int, **_: Any) -> Response:
        role_services.role_binding_delete(access=request_access(request), binding=_binding(request, binding_id))
        return Response(status=204)
