"""Encryption at rest of namespace secrets: Fernet, with keys derived from Django's SECRET_KEY.

The current key encrypts; it and every key in SECRET_KEY_FALLBACKS decrypt. Rotating is: set the
new FLOWHUB_SECRET_KEY, list the old one in FLOWHUB_SECRET_KEY_FALLBACKS, run
`manage.py rotate_secrets`, then drop the fallback.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet


class UndecryptableError(Exception):
    """A ciphertext that no configured key opens: the key it was written with is gone."""


def _fernet(secret_key: str) -> Fernet:
    # A key of its own for secrets: the same SECRET_KEY also signs sessions.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"flowhub namespace secrets").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher() -> MultiFernet:
    return MultiFernet([_fernet(key) for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)])


def encrypt(value: str) -> bytes:
    return _cipher().encrypt(value.encode())


def decrypt(token: bytes) -> str:
    try:
        return _cipher().decrypt(bytes(token)).decode()
    except InvalidToken:
        raise UndecryptableError("no configured key decrypts this secret") from None


def reencrypt(token: bytes) -> bytes:
    """`token` encrypted again with the current key."""
    try:
        return _cipher().rotate(bytes(token))
    except InvalidToken:
        raise UndecryptableError("no configured key decrypts this secret") from None


def reencrypt_rows(rows: QuerySet[Any], field: str, name: Callable[[Any], str]) -> tuple[int, list[str]]:
    """Encrypt the ciphertext in `field` of every row again with the current key, rows locked meanwhile:
    how many were, and the `name`s of those no configured key opens (left as they are)."""
    done, lost = 0, []
    with transaction.atomic():
        for row in rows.select_for_update().order_by("pk"):
            try:
                setattr(row, field, reencrypt(getattr(row, field)))
            except UndecryptableError:
                lost.append(name(row))
                continue
            row.save(update_fields=[field])
            done += 1
    return done, lost
