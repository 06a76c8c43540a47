"""Reads of trigger rows: search, one flow's, one; whether a trigger is locked or disabled; their definitions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from access.roles import Access, Role
from access.selectors import namespace_q
from flowhub.engine.states import TERMINAL
from flowhub.exceptions import NotFound
from namespaces.flows import parsed_revision
from namespaces.models import Flow
from namespaces.selectors import flow_get

from .models import Execution, Trigger

ENDED_STATES = [state.value for state in TERMINAL]


def trigger_search(
    *, access: Access | None, role: Role = Role.VIEWER, text: str | None = None, namespace: str | None = None,
    namespace_prefix: str | None = None, flow_id: str | None = None, trigger_id: str | None = None,
) -> QuerySet[Trigger]:  # fmt: skip
    """Triggers matching every given criterion: id text, namespace or prefix (dot-aware), flow, trigger id;
    each with `locked`: whether the execution it last started still runs. With `access`, only those in the
    namespaces where the caller has `role`."""
    triggers = Trigger.objects.all() if access is None else Trigger.objects.filter(namespace_q(access, role))
    if namespace is not None:
        triggers = triggers.filter(namespace=namespace)
    if namespace_prefix is not None:
        triggers = triggers.filter(Q(namespace=namespace_prefix) | Q(namespace__startswith=f"{namespace_prefix}."))
    if flow_id is not None:
        triggers = triggers.filter(flow_id=flow_id)
    if trigger_id is not None:
        triggers = triggers.filter(trigger_id=trigger_id)
    if text:
        triggers = triggers.filter(
            Q(trigger_id__icontains=text) | Q(flow_id__icontains=text) | Q(namespace__icontains=text)
        )
    running = Execution.objects.filter(pk=OuterRef("last_execution_id")).exclude(state__in=ENDED_STATES)
    return triggers.annotate(locked=Exists(running))


def trigger_list(*, namespace: str, flow_id: str, text: str | None = None) -> QuerySet[Trigger]:
    """The triggers of one flow (NotFound for a flow that does not exist)."""
    flow_get(namespace=namespace, flow_id=flow_id)
    return trigger_search(access=None, namespace=namespace, flow_id=flow_id, text=text)


def trigger_get(*, namespace: str, flow_id: str, trigger_id: str, for_update: bool = False) -> Trigger:
    flow_get(namespace=namespace, flow_id=flow_id)
    rows = Trigger.objects.select_for_update() if for_update else Trigger.objects.all()
    trigger = rows.filter(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id).first()
    if trigger is None:
        raise NotFound(f"flow '{namespace}.{flow_id}' has no trigger '{trigger_id}'")
    return trigger


def trigger_locked(trigger: Trigger) -> bool:
    """Whether the execution the trigger last started still runs: a Schedule waits for it unless
    `allowConcurrent`."""
    if not trigger.last_execution_id:
        return False
    return Execution.objects.filter(pk=trigger.last_execution_id).exclude(state__in=ENDED_STATES).exists()


def trigger_disabled(*, namespace: str, flow_id: str, trigger_id: str) -> bool:
    """Whether a person (API, admin) or `stopAfter` disabled this trigger; the YAML's `disabled` is apart."""
    return Trigger.objects.filter(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, disabled=True).exists()


def trigger_definitions(triggers: Iterable[Trigger]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Each trigger as written in its flow's current revision, by (namespace, flow id, trigger id)."""
    wanted = Q(pk__in=[])
    for namespace, flow_id in {(trigger.namespace, trigger.flow_id) for trigger in triggers}:
        wanted |= Q(namespace_id=namespace, flow_id=flow_id)
    definitions: dict[tuple[str, str, str], dict[str, Any]] = {}
    for flow in Flow.objects.select_related("current").filter(wanted, deleted=False):
        if flow.current is None:
            continue
        for written in parsed_revision(flow.current).document.get("triggers") or []:
            definitions[(flow.namespace_id, flow.flow_id, str(written.get("id")))] = written
    return definitions
