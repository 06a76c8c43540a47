"""One POST of a delivery to its receiver, bounded in time and in how much of the answer is read."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from django.conf import settings

from .destinations import Pinned, RefusedDestination, pinned

RESPONSE_EXCERPT_BYTES = 1024
"""How much of the receiver's answer the delivery log keeps."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    """None when no answer came (refused, timed out, ...)."""
    error: str
    response: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body`; any 2xx is delivered. A redirect is not followed: it counts as a failure, as the
    receiver's configured URL is the one trusted with the payload. A host that is not allowed (see
    destinations.py) fails the attempt without a connection."""
    started = time.perf_counter()
    try:
        targets = pinned(url)
    except RefusedDestination as exc:
        return Outcome(None, f"refused: {exc}"[:500], "", _since(started))
    refused: Exception = RefusedDestination("no address")
    for target in targets:
        try:
            return _posted(target, body, headers, started)
        except httpx.ConnectError as exc:
            refused = exc  # the name's next address may answer
        except httpx.HTTPError as exc:
            return Outcome(None, _described(exc), "", _since(started))
    return Outcome(None, _described(refused), "", _since(started))


def _posted(target: Pinned, body: bytes, headers: dict[str, str], started: float) -> Outcome:
    with (
        httpx.Client(timeout=settings.FLOWHUB_NOTIFICATION_TIMEOUT_SECONDS, follow_redirects=False) as client,
        client.stream(
            "POST", target.url, content=body, headers={**headers, **target.headers}, extensions=target.extensions
        ) as answer,
    ):
        excerpt = _excerpt(answer)
    error = "" if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code} {answer.reason_phrase}".strip()
    return Outcome(answer.status_code, error, excerpt, _since(started))


def _excerpt(answer: httpx.Response) -> str:
    read = bytearray()
    for chunk in answer.iter_bytes():
        read += chunk
        if len(read) >= RESPONSE_EXCERPT_BYTES:
            break
    return bytes(read[:RESPONSE_EXCERPT_BYTES]).decode(errors="replace")


def _described(exc: Exception) -> str:
    message = str(exc)
    return (f"{type(exc).__name__}: {message}" if message else type(exc).__name__)[:500]


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
