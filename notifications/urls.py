from django.urls import path

from . import api

urlpatterns = [
    path("notifications", api.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/<str:notification_id>", api.NotificationDetailApi.as_view(), name="notification-detail"),
    path(
        "notifications/<str:notification_id>/deliveries",
        api.NotificationDeliveryListApi.as_view(),
        name="notification-deliveries",
    ),
    path(
        "notifications/<str:notification_id>/deliveries/<str:delivery_id>/redeliver",
        api.DeliveryRedeliverApi.as_view(),
        name="notification-delivery-redeliver",
    ),
    path("notifications/<str:notification_id>/test", api.NotificationTestApi.as_view(), name="notification-test"),
]
