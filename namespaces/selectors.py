"""Reads of flows."""

from __future__ import annotations

from django.db.models import QuerySet

from flowhub.exceptions import NotFound

from .models import Flow, FlowRevision


def flow_get(*, namespace: str, flow_id: str) -> Flow:
    flow = Flow.objects.select_related("current").filter(namespace_id=namespace, flow_id=flow_id, deleted=False).first()
    if flow is None:
        raise NotFound(f"flow '{namespace}.{flow_id}' does not exist")
    return flow


def flow_revision_get(*, flow: Flow, revision: int | None) -> FlowRevision:
    """The given revision of `flow`, or its current one."""
    if revision is None:
        assert flow.current is not None
        return flow.current
    found = FlowRevision.objects.filter(flow=flow, revision=revision).first()
    if found is None:
        raise NotFound(f"flow '{flow}' has no revision {revision}")
    return found


def flow_list(*, namespace: str) -> QuerySet[Flow]:
    return Flow.objects.select_related("current").filter(namespace_id=namespace, deleted=False).order_by("flow_id")
