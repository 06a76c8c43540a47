"""Reads of role bindings: a caller sees their own and those of the namespaces they administer."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from flowhub.exceptions import NotFound

from .models import RoleBinding
from .roles import Access, Role
from .selectors import namespace_q


def role_binding_list(
    *, access: Access, user: Any, namespace_prefix: str | None = None, username: str | None = None,
    group: str | None = None,
) -> QuerySet[RoleBinding]:  # fmt: skip
    bindings = RoleBinding.objects.select_related("user", "group")
    if not access.everywhere(Role.ADMIN):  # (an empty Q, "every row", would vanish from an OR)
        bindings = bindings.filter(namespace_q(access, Role.ADMIN) | Q(user=user) | Q(group__user=user))
    if namespace_prefix:
        bindings = bindings.filter(Q(namespace=namespace_prefix) | Q(namespace__startswith=f"{namespace_prefix}."))
    if username:
        bindings = bindings.filter(user__username=username)
    if group:
        bindings = bindings.filter(group__name=group)
    return bindings.distinct()


def role_binding_get(*, access: Access, user: Any, binding_id: int) -> RoleBinding:
    found = role_binding_list(access=access, user=user).filter(pk=binding_id).first()
    if found is None:
        raise NotFound(f"role binding {binding_id} does not exist")
    return found
