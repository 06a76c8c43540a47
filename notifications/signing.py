"""A delivery's signature: `sha256=` and the hex HMAC-SHA256, keyed with the notification's secret, of
`"{timestamp}.{body}"`, the timestamp being the `X-Flowhub-Timestamp` header (Unix seconds).

Signing the timestamp with the body lets a receiver refuse a captured request replayed later: it checks
the signature, then that the timestamp is recent."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return PREFIX + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
