from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Signed outgoing webhooks on execution events, with their delivery log."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from executions import signals

        from .receivers import on_execution_created, on_execution_ended

        signals.execution_created.connect(on_execution_created, dispatch_uid="notifications.on_execution_created")
        signals.execution_ended.connect(on_execution_ended, dispatch_uid="notifications.on_execution_ended")
