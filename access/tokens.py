"""API tokens: created with a secret that is answered once (only its SHA-256 is kept), revoked, marked used.

A token acts for its user. Its bindings narrow it to roles on namespace prefixes, and they may not reach
further than the user can (nor further than the credential of whoever creates it): a token is never a way
to gain a role. Creating a token for someone else needs the admin role on every namespace it is bound to.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.namespaces import validate_namespace
from flowhub.exceptions import Invalid

from .models import ApiToken, TokenBinding
from .roles import EVERY_NAMESPACE, Grant, Role
from .selectors import access_of, token_bindings

SECRET_PREFIX = "fh_"  # noqa: S105 (the marker every secret starts with, not a secret)
PREFIX_LENGTH = 10
"""Characters of the secret kept to tell tokens apart: `fh_` and seven random ones."""
NAME_MAX = 100
USE_RECORDED_EVERY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token: using a token is not a write per request."""


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *,
    user: Any,
    name: str,
    expires_at: datetime | None = None,
    bindings: Iterable[tuple[str, str]] = (),
    kind: str = ApiToken.Kind.API,
    created_by: Any,
    acting_token: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret, which is nowhere else afterwards.

    `bindings` are (namespace prefix, role name) pairs, the blank prefix for every namespace. `created_by` is
    the caller (None: an operator on the server's command line, who may do anything), `acting_token` the token
    they authenticate with, if any: a narrowed caller can only make tokens within its own reach.
    Invalid naming `name`, `expiresAt`, `bindings`, `bindings[i].namespace` or `bindings[i].role`."""
    name = name.strip()
    grants, errors = _parsed(name, expires_at, list(bindings))
    if not errors:
        errors = _beyond_reach(user, grants, created_by, acting_token)
    if errors:
        raise Invalid("the token cannot be created as asked", errors)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            kind=kind,
            prefix=secret[:PREFIX_LENGTH],
            digest=token_digest(secret),
            created_by=created_by,
            expires_at=expires_at,
        )
        TokenBinding.objects.bulk_create(
            TokenBinding(token=token, namespace=grant.namespace, role=grant.role.label) for grant in grants
        )
        if kind == ApiToken.Kind.API:  # a login's session is not a change anyone made
            audit_record(action=AuditAction.TOKEN_CREATE, target=token.pk, owner=user.get_username())
    return token, secret


def token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke `token` from now on; revoking it again keeps the first time."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if revoked and token.kind == ApiToken.Kind.API:
            audit_record(action=AuditAction.TOKEN_REVOKE, target=token.pk)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def token_mark_used(*, token: ApiToken, now: datetime) -> None:
    """Record that `token` was used, unless that was done less than a minute ago (by any process)."""
    if token.last_used_at is not None and now - token.last_used_at < USE_RECORDED_EVERY:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - USE_RECORDED_EVERY)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def _parsed(
    name: str, expires_at: datetime | None, bindings: list[tuple[str, str]]
) -> tuple[list[Grant], list[ErrorDetail]]:
    errors = []
    if not name:
        errors.append(ErrorDetail("name", "required"))
    elif len(name) > NAME_MAX:
        errors.append(ErrorDetail("name", f"must be at most {NAME_MAX} characters"))
    if expires_at is not None and expires_at <= timezone.now():
        errors.append(ErrorDetail("expiresAt", "must be in the future"))
    grants: list[Grant] = []
    seen: set[str] = set()
    for index, (namespace, role_name) in enumerate(bindings):
        where = f"bindings[{index}]"
        if namespace != EVERY_NAMESPACE and (problem := validate_namespace(namespace)):
            errors.append(ErrorDetail(f"{where}.namespace", problem + " (or blank for every namespace)"))
        elif namespace in seen:
            errors.append(ErrorDetail(f"{where}.namespace", f"'{namespace}' is bound twice"))
        seen.add(namespace)
        try:
            grants.append(Grant(namespace, Role.parse(role_name)))
        except ValueError as exc:
            errors.append(ErrorDetail(f"{where}.role", str(exc)))
    return grants, errors


def _beyond_reach(user: Any, grants: list[Grant], created_by: Any, acting_token: ApiToken | None) -> list[ErrorDetail]:
    """What in `grants` the owner does not hold, or the creator may not hand out."""
    narrowed = acting_token is not None and bool(token_bindings(acting_token))
    operator = created_by is None or (created_by.is_superuser and not narrowed)
    for_other = created_by is not None and created_by.pk != user.pk
    if not grants:
        if operator or not (for_other or narrowed):
            return []
        why = "creating a token for another user" if for_other else "your own token is narrowed to bindings, and"
        return [ErrorDetail("bindings", f"required: {why} a token without bindings would act with all of its roles")]
    owner = access_of(user)
    creator = None if operator else access_of(created_by, acting_token)
    errors = []
    for index, grant in enumerate(grants):
        where, role = f"bindings[{index}]", grant.role.label
        shown = f"namespace '{grant.namespace}'" if grant.namespace else "all namespaces (the blank prefix)"
        if creator is not None and for_other and not creator.allows(grant.namespace, Role.ADMIN):
            errors.append(
                ErrorDetail(f"{where}.namespace", f"a token of another user on {shown} needs your admin role")
            )
        elif creator is not None and narrowed and not creator.allows(grant.namespace, grant.role):
            errors.append(ErrorDetail(f"{where}.role", f"the token you use does not reach {role} on {shown}"))
        elif (held := owner.role_in(grant.namespace)) is None:
            errors.append(ErrorDetail(f"{where}.namespace", f"{user.get_username()} holds no role on {shown}"))
        elif held < grant.role:
            errors.append(ErrorDetail(f"{where}.role", f"{user.get_username()} is {held.label} on {shown}, not {role}"))
    return errors
