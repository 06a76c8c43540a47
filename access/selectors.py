"""What a caller may see and do: their Access, and the query filter it makes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from flowhub.exceptions import Forbidden, NotFound

from .models import ApiToken, RoleBinding, TokenBinding
from .roles import EVERY_NAMESPACE, Access, Grant, Role


def access_of(user: Any, token: ApiToken | None = None) -> Access:
    """The grants of `user`'s bindings and their groups' (admin everywhere for a superuser), narrowed to
    `token`'s bindings when it has any. An anonymous or inactive user has none."""
    access = _without_bindings(user)
    if access is None:
        access = accesses_of([user])[user.pk]
    if token is None:
        return access
    narrowing = [Grant(namespace, Role.parse(role)) for namespace, role in token_bindings(token)]
    return access.narrowed(narrowing) if narrowing else access


def accesses_of(users: Iterable[Any]) -> dict[Any, Access]:
    """`access_of` each of `users` (no token), by primary key, with one query for all of their bindings."""
    found: dict[Any, Access] = {}
    grants: dict[Any, list[Grant]] = {}
    for user in users:
        fixed = _without_bindings(user)
        if fixed is None:
            grants[user.pk] = []
        else:
            found[user.pk] = fixed
    if grants:
        rows = RoleBinding.objects.filter(Q(user__in=list(grants)) | Q(group__user__in=list(grants)))
        for user_id, member_id, namespace, role in rows.values_list("user_id", "group__user", "namespace", "role"):
            holder = user_id if user_id is not None else member_id
            if holder in grants:  # a group's other members come along in the join
                grants[holder].append(Grant(namespace, Role.parse(role)))
        found.update((pk, Access(tuple(each))) for pk, each in grants.items())
    return found


def _without_bindings(user: Any) -> Access | None:
    """The Access of a user whose bindings do not matter (none when anonymous or inactive, everything when a
    superuser), or None when they do."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Access()
    return Access.superuser() if user.is_superuser else None


def token_bindings(token: ApiToken) -> list[tuple[str, str]]:
    return list(TokenBinding.objects.filter(token=token).values_list("namespace", "role"))


@dataclass(frozen=True)
class Saver:
    """Who saves a flow: a user, and the API token they authenticated with, whose bindings narrow what the
    flow may reach (executions/reach.py) as they narrow what the token may do."""

    user: Any
    token: ApiToken | None = None


def saver_of(request: Any) -> Saver:
    auth = getattr(request, "auth", None)
    return Saver(request.user, auth if isinstance(auth, ApiToken) else None)


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
