"""Namespace secrets: writes, reads of their metadata, and resolution of a value for a running task.

A value is encrypted before it is stored and decrypted only by `secret_resolve`, which a task's
`secret()` calls: no API or admin page ever returns one. A name resolves in the namespace, then
in each parent, then in Kestra's OSS environment variables `SECRET_<NAME>` (base64).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub import crypto
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.namespaces import namespace_lineage
from flowhub.exceptions import Invalid, NotFound

from .models import Secret
from .services import namespace_ensure

logger = logging.getLogger(__name__)
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
NAME_MAX = 255
ENV_PREFIX = "SECRET_"


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a secret, or None."""
    if not NAME_PATTERN.fullmatch(name) or len(name) > NAME_MAX:
        return f"must be 1 to {NAME_MAX} letters, digits, '_', '.' or '-', starting with a letter or '_'"
    return None


def secret_set(*, namespace: str, name: str, value: str, description: str | None = None) -> tuple[Secret, bool]:
    """Store `value` under `name`, replacing an earlier value; the secret, and whether it is new."""
    if problem := name_problem(name):
        raise Invalid(f"invalid secret name '{name}'", [ErrorDetail("key", problem)])
    namespace_ensure(namespace=namespace)
    fields = {"ciphertext": crypto.encrypt(value)}
    if description is not None:
        fields["description"] = description
    with transaction.atomic():
        secret, created = _secret_upsert(namespace, name, fields)
        audit_record(action=AuditAction.SECRET_SET, namespace=namespace, target=name, created=created)
    return secret, created


def _secret_upsert(namespace: str, name: str, fields: dict[str, str]) -> tuple[Secret, bool]:
    try:
        with transaction.atomic():
            return Secret.objects.update_or_create(namespace_id=namespace, name=name, defaults=fields)
    except IntegrityError:  # created by a concurrent writer between the lookup and the insert
        return Secret.objects.update_or_create(namespace_id=namespace, name=name, defaults=fields)


def secret_delete(*, namespace: str, name: str) -> None:
    with transaction.atomic():
        deleted, _ = Secret.objects.filter(namespace_id=namespace, name=name).delete()
        if not deleted:
            raise NotFound(f"no secret '{name}' in namespace '{namespace}'")
        audit_record(action=AuditAction.SECRET_DELETE, namespace=namespace, target=name)


def secret_list(*, namespace: str) -> QuerySet[Secret]:
    return Secret.objects.filter(namespace_id=namespace).order_by("name")


def secret_get(*, namespace: str, name: str) -> Secret:
    secret = Secret.objects.filter(namespace_id=namespace, name=name).first()
    if secret is None:
        raise NotFound(f"no secret '{name}' in namespace '{namespace}'")
    return secret


def secret_resolve(*, namespace: str, name: str) -> str:
    """The value of `name` for a task of `namespace`: its own, its nearest parent's, or the environment's."""
    lineage = namespace_lineage(namespace)
    found = {secret.namespace_id: secret for secret in Secret.objects.filter(namespace_id__in=lineage, name=name)}
    for candidate in lineage:
        if (secret := found.get(candidate)) is not None:
            Secret.objects.filter(pk=secret.pk).update(last_used_at=timezone.now())
            return crypto.decrypt(secret.ciphertext)
    if (value := _environment_secret(name)) is not None:
        return value
    raise NotFound(f"secret '{name}' not found in namespace '{namespace}', its parents or the environment")


def _environment_secret(name: str) -> str | None:
    encoded = os.environ.get(ENV_PREFIX + name.upper())
    if encoded is None:
        return None
    try:
        return base64.b64decode(encoded.replace("\n", ""), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        logger.warning("environment variable %s%s is not valid base64 text; ignored", ENV_PREFIX, name.upper())
        return None


def secrets_reencrypt() -> tuple[int, list[str]]:
    """Encrypt every secret again with the current key; how many were, and the ones no key opens."""
    return crypto.reencrypt_rows(Secret.objects.all(), "ciphertext", str)
