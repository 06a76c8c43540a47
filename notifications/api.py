"""`/notifications`: outgoing webhooks on execution events, and their delivery log (flowhub's own API)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import request_access
from flowhub.api.pagination import MAX_PAGE_SIZE, page_request, paged_response
from flowhub.api.problems import validated_body
from flowhub.exceptions import Forbidden

from . import selectors, services
from .models import Delivery, Notification
from .serializers import (
    DeliveryPageSerializer,
    DeliverySerializer,
    NotificationCreatedSerializer,
    NotificationInputSerializer,
    NotificationPageSerializer,
    NotificationSerializer,
)

TAGS = ["Notifications"]
NOTIFICATION_SORTS = {"createdAt": "created_at", "updatedAt": "updated_at", "url": "url", "id": "id"}
DELIVERY_SORTS = {"createdAt": "created_at", "endedAt": "ended_at", "status": "status", "event": "event"}
PAGING = [
    OpenApiParameter("page", int, description="From 1"),
    OpenApiParameter("size", int, description=f"At most {MAX_PAGE_SIZE}"),
]


def _spec(request: Request) -> services.NotificationSpec:
    """The notification the body describes, if it is one the caller may manage."""
    body = validated_body(NotificationInputSerializer(data=request.data), "invalid notification")
    spec = services.NotificationSpec(**body)
    if not selectors.notification_reachable(request_access(request), spec.namespaces):
        raise Forbidden("a notification needs the editor role on each of its namespaces (on all, when none is given)")
    return spec


def _notification(request: Request, notification_id: str) -> Notification:
    return selectors.notification_get(notification_id=notification_id, access=request_access(request))


class NotificationListApi(APIView):
    scopes_itself = True  # by the notification's namespaces

    @extend_schema(
        operation_id="listNotifications",
        summary="The notifications, paged; secrets are never shown",
        parameters=[
            *PAGING,
            OpenApiParameter("sort", str, many=True, description="field:asc|desc; " + ", ".join(NOTIFICATION_SORTS)),
        ],
        responses=NotificationPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, **_: Any) -> Response:
        paging = page_request(request.query_params, NOTIFICATION_SORTS, default=("created_at", "id"))
        notifications = selectors.notification_list(access=request_access(request))
        return paged_response(request, notifications, paging, lambda rows: NotificationSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="createNotification",
        summary="Register a URL for signed POSTs on execution events; a generated secret is answered this once",
        request=NotificationInputSerializer,
        responses={201: NotificationCreatedSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, **_: Any) -> Response:
        notification, generated = services.notification_create(spec=_spec(request))
        body = NotificationSerializer(notification).data
        if generated is not None:
            body["secret"] = generated
        return Response(body, status=201)


class NotificationDetailApi(APIView):
    scopes_itself = True  # by the notification's namespaces

    @extend_schema(
        operation_id="getNotification", summary="A notification", responses=NotificationSerializer, tags=TAGS
    )
    def get(self, request: Request, notification_id: str, **_: Any) -> Response:
        return Response(NotificationSerializer(_notification(request, notification_id)).data)

    @extend_schema(
        operation_id="updateNotification",
        summary="Replace a notification's settings; its secret stays unless a new one is given",
        request=NotificationInputSerializer,
        responses=NotificationSerializer,
        tags=TAGS,
    )
    def put(self, request: Request, notification_id: str, **_: Any) -> Response:
        _notification(request, notification_id)
        notification = services.notification_update(notification_id=notification_id, spec=_spec(request))
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        operation_id="deleteNotification",
        summary="Delete a notification and its delivery log; its pending deliveries are not sent",
        responses={204: OpenApiResponse(description="Deleted")},
        tags=TAGS,
    )
    def delete(self, request: Request, notification_id: str, **_: Any) -> Response:
        services.notification_delete(notification_id=_notification(request, notification_id).pk)
        return Response(status=204)


class NotificationDeliveryListApi(APIView):
    scopes_itself = True  # by the notification's namespaces

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Delivery.Status.values, required=False)
        executionId = serializers.CharField(required=False, max_length=22)

    @extend_schema(
        operation_id="listNotificationDeliveries",
        summary="A notification's delivery log, newest first: each delivery with every attempt",
        parameters=[
            *PAGING,
            OpenApiParameter("sort", str, many=True, description="field:asc|desc; " + ", ".join(DELIVERY_SORTS)),
            FilterSerializer,
        ],
        responses=DeliveryPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, notification_id: str, **_: Any) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        paging = page_request(request.query_params, DELIVERY_SORTS, default=("-created_at", "id"))
        deliveries = selectors.delivery_list(
            notification=_notification(request, notification_id),
            status=query.validated_data.get("status"),
            execution_id=query.validated_data.get("executionId"),
        )
        return paged_response(request, deliveries, paging, lambda rows: DeliverySerializer(rows, many=True).data)


class DeliveryRedeliverApi(APIView):
    scopes_itself = True  # by the notification's namespaces

    @extend_schema(
        operation_id="redeliverNotificationDelivery",
        summary="Send an ended delivery's event again, as a new delivery (202); 409 while it is still attempted",
        request=None,
        responses={202: DeliverySerializer},
        tags=TAGS,
    )
    def post(self, request: Request, notification_id: str, delivery_id: str, **_: Any) -> Response:
        notification = _notification(request, notification_id)
        delivery = services.delivery_redeliver(notification=notification, delivery_id=delivery_id)
        return Response(DeliverySerializer(delivery).data, status=202)


class NotificationTestApi(APIView):
    scopes_itself = True  # by the notification's namespaces

    @extend_schema(
        operation_id="testNotification",
        summary="Send a `notification.test` delivery now (202); follow it in the delivery log",
        request=None,
        responses={202: DeliverySerializer},
        tags=TAGS,
    )
    def post(self, request: Request, notification_id: str, **_: Any) -> Response:
        delivery = services.notification_test(notification_id=_notification(request, notification_id).pk)
        return Response(DeliverySerializer(delivery).data, status=202)
