"""Writes of namespaces and flows. Every flow save is validated first and makes a new revision."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from access.roles import Access, Role
from access.selectors import Saver, access_require
from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.namespaces import validate_namespace
from flowhub.engine.sourceedit import set_top_level
from flowhub.exceptions import Conflict, Invalid, NotFound

from .flows import parse_source, parsed_revision
from .models import Flow, FlowRevision, Namespace
from .signals import flow_changed


def namespace_checked(namespace: str) -> str:
    """`namespace`, if it is a valid name; Invalid naming `namespace` otherwise."""
    if problem := validate_namespace(namespace):
        raise Invalid(f"invalid namespace '{namespace[:160]}'", [ErrorDetail("namespace", problem)])
    return namespace


def namespace_ensure(*, namespace: str) -> Namespace:
    """Create `namespace` and each of its parents that does not exist yet; Invalid for a bad name."""
    namespace_checked(namespace)
    parts = namespace.split(".")
    for depth in range(1, len(parts)):
        Namespace.objects.get_or_create(id=".".join(parts[:depth]))
    return Namespace.objects.get_or_create(id=namespace)[0]


def flow_create(*, source: str, access: Access | None = None, saved_by: Saver | None = None) -> Flow:
    """A new flow from `source`; with `access`, only in a namespace where the caller is an editor.

    `saved_by` is the user saving it, whose roles its executions act with beyond its namespace
    (executions/reach.py); None is the server itself (an import, a command), whose flows are unrestricted."""
    parsed = parse_source(source)
    if access is not None:
        access_require(access, parsed.namespace, Role.EDITOR, hidden=False)
    with transaction.atomic():
        namespace_ensure(namespace=parsed.namespace)
        flow = Flow.objects.select_for_update().filter(namespace_id=parsed.namespace, flow_id=parsed.id).first()
        if flow is not None and not flow.deleted:
            raise Conflict(f"flow '{parsed.namespace}.{parsed.id}' already exists")
        if flow is None:
            try:
                with transaction.atomic():
                    flow = Flow.objects.create(namespace_id=parsed.namespace, flow_id=parsed.id)
            except IntegrityError:
                raise Conflict(f"flow '{parsed.namespace}.{parsed.id}' already exists") from None
        flow.deleted = False
        return _add_revision(flow, source, parsed, saved_by, AuditAction.FLOW_CREATE)


def flow_update(*, namespace: str, flow_id: str, source: str, saved_by: Saver | None = None) -> Flow:
    """A new revision of the flow from `source`, saved by `saved_by` (as `flow_create`'s)."""
    parsed = parse_source(source)
    mismatches = [
        ErrorDetail(field, f"must be '{expected}' as in the URL, got '{given}'")
        for field, expected, given in (("namespace", namespace, parsed.namespace), ("id", flow_id, parsed.id))
        if expected != given
    ]
    if mismatches:
        raise Invalid("a flow's id and namespace cannot change", mismatches)
    with transaction.atomic():
        flow = (
            Flow.objects.select_for_update(of=("self",))
            .select_related("current")
            .filter(namespace_id=namespace, flow_id=flow_id, deleted=False)
            .first()
        )
        if flow is None:
            raise NotFound(f"flow '{namespace}.{flow_id}' does not exist")
        if flow.current is not None and flow.current.source == source:
            return flow  # an identical save keeps the revision, as Kestra does
        return _add_revision(flow, source, parsed, saved_by, AuditAction.FLOW_UPDATE)


def flow_delete(*, namespace: str, flow_id: str) -> None:
    """Soft delete: the flow disappears from reads, its revisions and executions stay."""
    with transaction.atomic():
        deleted = Flow.objects.filter(namespace_id=namespace, flow_id=flow_id, deleted=False).update(deleted=True)
        if not deleted:
            raise NotFound(f"flow '{namespace}.{flow_id}' does not exist")
        flow_changed.send(sender=Flow, namespace=namespace, flow_id=flow_id, parsed=None)
        audit_record(action=AuditAction.FLOW_DELETE, namespace=namespace, target=flow_id)


def flows_set_disabled(
    *, refs: list[tuple[str, str]], disabled: bool, access: Access | None = None, saved_by: Saver | None = None
) -> int:
    """Enable or disable flows by rewriting `disabled:` in their YAML (a new revision, saved by `saved_by`);
    how many changed. With `access`, nothing changes unless the caller is an editor of every flow's namespace."""
    if access is not None:
        for namespace, flow_id in refs:
            access_require(access, namespace, Role.EDITOR, what=f"flow '{namespace}.{flow_id}'")
    changed = 0
    with transaction.atomic():
        for namespace, flow_id in refs:
            flow = (
                Flow.objects.select_for_update(of=("self",))
                .select_related("current")
                .filter(namespace_id=namespace, flow_id=flow_id, deleted=False)
                .first()
            )
            if flow is None or flow.current is None or parsed_revision(flow.current).disabled == disabled:
                continue
            source = set_top_level(flow.current.source, "disabled", disabled)
            _add_revision(flow, source, parse_source(source), saved_by, AuditAction.FLOW_UPDATE, disabled=disabled)
            changed += 1
    return changed


def flow_duplicate(
    *,
    namespace: str,
    flow_id: str,
    new_namespace: str,
    new_id: str,
    access: Access | None = None,
    saved_by: Saver | None = None,
) -> Flow:
    """A copy of a flow under another id and/or namespace, its YAML rewritten to match, saved by `saved_by`."""
    original = Flow.objects.select_related("current").filter(namespace_id=namespace, flow_id=flow_id, deleted=False)
    flow = original.first()
    if flow is None or flow.current is None:
        raise NotFound(f"flow '{namespace}.{flow_id}' does not exist")
    if (new_namespace, new_id) == (namespace, flow_id):
        raise Invalid("a duplicate needs another id or namespace", [ErrorDetail("id", "same as the original")])
    source = set_top_level(set_top_level(flow.current.source, "id", new_id), "namespace", new_namespace)
    return flow_create(source=source, access=access, saved_by=saved_by)


def _add_revision(
    flow: Flow, source: str, parsed: ParsedFlow, saved_by: Saver | None, action: AuditAction, **detail: Any
) -> Flow:
    """Append the next revision (after a delete, numbering continues), saved by `saved_by`, and make it current;
    audited as `action`."""
    last = FlowRevision.objects.filter(flow=flow).order_by("-revision").values_list("revision", flat=True).first()
    revision = (last or 0) + 1
    flow.current = FlowRevision.objects.create(
        flow=flow,
        revision=revision,
        source=source,
        saved_by=saved_by.user if saved_by is not None else None,
        saved_with=saved_by.token if saved_by is not None else None,
        saved_by_name=saved_by.user.get_username() if saved_by is not None else "",
    )
    flow.labels = parsed.labels
    flow.save(update_fields=["current", "deleted", "labels", "updated_at"])
    flow_changed.send(sender=Flow, namespace=flow.namespace_id, flow_id=flow.flow_id, parsed=parsed)
    audit_record(action=action, namespace=flow.namespace_id, target=flow.flow_id, revision=revision, **detail)
    return flow
