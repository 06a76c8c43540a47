from django.apps import AppConfig


class ExecutionsConfig(AppConfig):
    name = "executions"
    verbose_name = "Executions"

    def ready(self) -> None:
        from namespaces.signals import flow_changed

        from .trigger_rows import triggers_follow_flow

        flow_changed.connect(triggers_follow_flow, dispatch_uid="executions.triggers_follow_flow")
