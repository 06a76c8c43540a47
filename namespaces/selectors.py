"""Reads of flows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, JSONField, Q, QuerySet, Value
from django.db.models.fields.json import KeyTransform, KeyTransformExact

from access.roles import Access, Role
from access.selectors import namespace_q
from flowhub.exceptions import NotFound

from .flows import parsed_revision
from .models import Flow, FlowRevision, Namespace


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


def flow_search(
    *, access: Access, namespace_prefix: str | None = None, namespace: str | None = None, text: str | None = None,
    labels: Iterable[tuple[str, str]] = (),
) -> QuerySet[Flow]:  # fmt: skip
    """Live flows the caller sees matching every given criterion: namespace or prefix (dot-aware), id text, labels."""
    flows = Flow.objects.select_related("current").filter(deleted=False)
    flows = flows.filter(namespace_q(access, Role.VIEWER, "namespace__id"))
    if namespace is not None:
        flows = flows.filter(namespace_id=namespace)
    if namespace_prefix is not None:
        flows = flows.filter(Q(namespace_id=namespace_prefix) | Q(namespace__id__startswith=f"{namespace_prefix}."))
    if text:
        flows = flows.filter(Q(flow_id__icontains=text) | Q(namespace__id__icontains=text))
    for key, value in labels:
        flows = flows.filter(KeyTransformExact(KeyTransform(key, "labels"), Value(value, JSONField())))
    return flows


def flow_revisions(*, namespace: str, flow_id: str) -> list[FlowRevision]:
    flow = flow_get(namespace=namespace, flow_id=flow_id)
    return list(FlowRevision.objects.filter(flow=flow).select_related("flow").order_by("revision"))


def flows_enabled(*, namespace: str) -> list[Flow]:
    """The live flows of exactly `namespace` whose current revision is not disabled: those that can be started."""
    flows = flow_list(namespace=namespace)
    return [flow for flow in flows if flow.current is not None and not parsed_revision(flow.current).disabled]


def namespaces_with_flows(*, access: Access, text: str | None = None, role: Role = Role.VIEWER) -> list[str]:
    """The namespaces holding a live flow where the caller has `role`, whose name holds `text`."""
    names = Flow.objects.filter(namespace_q(access, role, "namespace__id"), deleted=False)
    if text:
        names = names.filter(namespace__id__icontains=text)
    return list(names.order_by("namespace_id").values_list("namespace_id", flat=True).distinct())


def namespace_search(*, access: Access | None = None, text: str | None = None) -> QuerySet[Namespace]:
    """Namespaces (those the caller sees, given `access`) with their number of live flows."""
    namespaces = Namespace.objects.annotate(flow_count=Count("flows", filter=Q(flows__deleted=False)))
    if access is not None:
        namespaces = namespaces.filter(namespace_q(access, Role.VIEWER, "id"))
    return namespaces.filter(id__icontains=text) if text else namespaces


def namespace_get(*, namespace: str) -> Namespace:
    found = namespace_search().filter(id=namespace).first()
    if found is None:
        raise NotFound(f"namespace '{namespace}' does not exist")
    return found


def namespace_tree(*, namespace: str) -> dict[str, Any]:
    """`{id, flowCount, children: [...]}` for a namespace and every namespace below it."""
    root = namespace_get(namespace=namespace)
    below = namespace_search().filter(id__startswith=f"{namespace}.").order_by("id")
    nodes: dict[str, dict[str, Any]] = {root.id: {"id": root.id, "flowCount": root.flow_count, "children": []}}
    for child in below:
        node = {"id": child.id, "flowCount": child.flow_count, "children": []}
        nodes[child.id] = node
        nodes[child.id.rsplit(".", 1)[0]]["children"].append(node)
    return nodes[root.id]
