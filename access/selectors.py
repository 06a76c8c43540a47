"""What a caller may see and do: their Access, and the query filter it makes."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from flowhub.exceptions import Forbidden, NotFound

from .models import ApiToken, RoleBinding, TokenBinding
from .roles import EVERY_NAMESPACE, Access, Grant, Role


def access_of(user: Any, token: ApiToken | None = None) -> Access:
    """The grants of `user`'s bindings and their groups' (admin everywhere for a superuser), narrowed to
    `token`'s bindings when it has any. An anonymous or inactive user has none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Access()
    if user.is_superuser:
        access = Access.superuser()
    else:
        bindings = RoleBinding.objects.filter(Q(user=user) | Q(group__user=user)).values_list("namespace", "role")
        access = Access(tuple(Grant(namespace, Role.parse(role)) for namespace, role in bindings))
    if token is None:
        return access
    narrowing = [Grant(namespace, Role.parse(role)) for namespace, role in token_bindings(token)]
    return access.narrowed(narrowing) if narrowing else access


def token_bindings(token: ApiToken) -> list[tuple[str, str]]:
    return list(TokenBinding.objects.filter(token=token).values_list("namespace", "role"))


def request_access(request: Any) -> Access:
    """The Access of a request's caller, worked out once per request."""
    raw = getattr(request, "_request", request)  # DRF's Request wraps Django's
    cached = getattr(raw, "_flowhub_access", None)
    if cached is None:
        token = request.auth if isinstance(getattr(request, "auth", None), ApiToken) else None
        cached = raw._flowhub_access = access_of(request.user, token)
    return cached


def namespace_q(access: Access, role: Role, field: str = "namespace") -> Q:
    """A filter keeping the rows whose `field` is a namespace where `access` has `role`."""
    prefixes = access.prefixes(role)
    if EVERY_NAMESPACE in prefixes:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    condition = Q()
    for prefix in prefixes:
        condition |= Q(**{field: prefix}) | Q(**{f"{field}__startswith": prefix + "."})
    return condition


def access_require(access: Access, namespace: str, role: Role, *, what: str = "", hidden: bool = True) -> None:
    """Nothing if `role` holds on `namespace`. Otherwise Forbidden, or NotFound when the namespace is out of the
    caller's sight and `hidden` (an object there is not theirs to know of; creating one there is simply refused)."""
    if hidden and not access.allows(namespace, Role.VIEWER):
        raise NotFound(f"{what} does not exist" if what else f"namespace '{namespace}' does not exist")
    if not access.allows(namespace, role):
        raise Forbidden(f"this needs the {role.label} role on namespace '{namespace}'")
