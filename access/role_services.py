"""Writes of role bindings: only an admin of a namespace hands out roles on it (or below it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.namespaces import validate_namespace
from flowhub.exceptions import Conflict, Forbidden, Invalid

from .models import RoleBinding
from .roles import EVERY_NAMESPACE, Access, Role


def binding_namespace_checked(namespace: str, field: str = "namespace") -> str:
    """`namespace` if it is blank (every namespace) or a valid namespace name; Invalid naming `field` otherwise."""
    if namespace != EVERY_NAMESPACE and (problem := validate_namespace(namespace)):
        raise Invalid(f"invalid namespace '{namespace[:160]}'", [ErrorDetail(field, problem)])
    return namespace


def role_checked(text: str, field: str = "role") -> Role:
    try:
        return Role.parse(text)
    except ValueError as error:
        raise Invalid("invalid role", [ErrorDetail(field, str(error))]) from None


def role_binding_require_admin(access: Access, namespace: str) -> None:
    """Forbidden unless the caller is an admin of `namespace` (of every namespace, for a blank one)."""
    if not access.allows(namespace, Role.ADMIN):
        where = f"namespace '{namespace}'" if namespace else "every namespace"
        raise Forbidden(f"managing roles needs the admin role on {where}")


def role_binding_create(
    *, access: Access, namespace: str, role: str, username: str | None = None, group: str | None = None
) -> RoleBinding:
    """Bind a user or a group (exactly one) to `role` on the `namespace` prefix."""
    checked_role = role_checked(role)
    binding_namespace_checked(namespace)
    holder = _holder(username, group)
    role_binding_require_admin(access, namespace)
    try:
        with transaction.atomic():
            binding = RoleBinding.objects.create(namespace=namespace, role=checked_role.label, **holder)
            _audit(AuditAction.ROLE_CREATE, binding)
            return binding
    except IntegrityError:
        name = username or group
        raise Conflict(
            f"'{name}' already has a role on {namespace or 'every namespace'}: change that binding instead"
        ) from None


def role_binding_update(*, access: Access, binding: RoleBinding, role: str) -> RoleBinding:
    role_binding_require_admin(access, binding.namespace)
    binding.role = role_checked(role).label
    with transaction.atomic():
        binding.save(update_fields=["role"])
        _audit(AuditAction.ROLE_UPDATE, binding)
    return binding


def role_binding_delete(*, access: Access, binding: RoleBinding) -> None:
    role_binding_require_admin(access, binding.namespace)
    with transaction.atomic():
        _audit(AuditAction.ROLE_DELETE, binding)
        binding.delete()


def _audit(action: AuditAction, binding: RoleBinding) -> None:
    audit_record(
        action=action, namespace=binding.namespace, target=str(binding.user or binding.group), role=binding.role
    )


def _holder(username: str | None, group: str | None) -> dict[str, Any]:
    if bool(username) == bool(group):
        detail = "give exactly one of user and group"
        raise Invalid("a role binding is for a user or a group", [ErrorDetail("user", detail)])
    if username:
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise Invalid("unknown user", [ErrorDetail("user", f"no user '{username}'")])
        return {"user": user}
    found = Group.objects.filter(name=group).first()
    if found is None:
        raise Invalid("unknown group", [ErrorDetail("group", f"no group '{group}'")])
    return {"group": found}
