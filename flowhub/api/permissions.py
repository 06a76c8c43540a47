"""Namespace roles on every API view (DESIGN.md §7).

A view reaching one namespace names it in its URL (`namespace`) or through the object it acts on
(`execution_id`); the caller needs the view's role there. Without even `viewer` the object does not
exist for them (404, never a leak); with a lower role it is a 403. A view reaching no single namespace
(searches, bulk actions, bodies naming the namespace) sets `scopes_itself = True` and filters by the
caller's Access itself; any other view is for callers whose role holds on every namespace.

The role a view needs: `required_role`, a Role or a {method: Role} map; by default `viewer` to read
and `editor` to write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from access.roles import Role
from access.selectors import access_require, request_access


def _execution_namespace(execution_id: str) -> str | None:
    from executions.models import Execution

    return Execution.objects.filter(pk=execution_id).values_list("namespace", flat=True).first()


NAMESPACE_OF: dict[str, Callable[[str], str | None]] = {
    "namespace": lambda namespace: namespace,
    "execution_id": _execution_namespace,
}
"""How a URL keyword names the namespace a view acts in; None for an object that does not exist."""


def required_role(view: Any, method: str) -> Role:
    declared = getattr(view, "required_role", None)
    if isinstance(declared, dict):
        declared = declared.get(method)
    if declared is not None:
        return Role(declared)
    return Role.VIEWER if method in SAFE_METHODS else Role.EDITOR


class NamespaceRole(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # IsAuthenticated answers first; this only keeps anonymous callers out
        access = request_access(request)
        role = required_role(view, request.method)
        if access.everywhere(role):
            return True  # no need to look the object's namespace up
        for keyword, namespace_of in NAMESPACE_OF.items():
            if keyword in view.kwargs:
                namespace = namespace_of(view.kwargs[keyword])
                if namespace is not None:  # an unknown object is the view's own 404
                    what = f"execution '{view.kwargs[keyword]}'" if keyword == "execution_id" else ""
                    access_require(access, namespace, role, what=what)
                return True
        if getattr(view, "scopes_itself", False):
            return True
        if not access.everywhere(role):
            raise PermissionDenied(f"this needs the {role.label} role on every namespace")
        return True
