"""Server-Sent Events on the wire: events, keepalive comments, and a response that streams them under ASGI.

Events carry `id:` and `data:` only, no `event:` field, so a browser's `EventSource.onmessage` sees each
of them. A stream closes by itself after `max_seconds`: a client resumes with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework.utils.encoders import JSONEncoder

CONTENT_TYPE = "text/event-stream"
KEEPALIVE = b": keepalive\n\n"


def compact_json(data: Any) -> str:
    """JSON without a newline, so that it makes one `data:` line."""
    return json.dumps(data, cls=JSONEncoder, separators=(",", ":"), ensure_ascii=False)


def sse_event(event_id: str, data_json: str) -> bytes:
    return f"id: {event_id}\ndata: {data_json}\n\n".encode()


async def with_keepalive(
    next_chunk: Callable[[], Awaitable[bytes | None]], *, keepalive_seconds: float, max_seconds: float
) -> AsyncIterator[bytes]:
    """The chunks `next_chunk` gives until a `None`, with a keepalive comment whenever none came for
    `keepalive_seconds` (proxies close silent connections), ending after `max_seconds` in any case."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    pending = asyncio.ensure_future(next_chunk())
    try:
        while (remaining := deadline - loop.time()) > 0:
            done, _ = await asyncio.wait({pending}, timeout=min(keepalive_seconds, remaining))
            if not done:
                yield KEEPALIVE
                continue
            chunk = pending.result()
            if chunk is None:
                return
            yield chunk
            pending = asyncio.ensure_future(next_chunk())
    finally:
        pending.cancel()


class EventStreamResponse(StreamingHttpResponse):
    def __init__(self, events: AsyncIterator[bytes]) -> None:
        super().__init__(events, content_type=CONTENT_TYPE)
        self["Cache-Control"] = "no-cache"
        self["X-Accel-Buffering"] = "no"  # nginx would otherwise hold events back in its buffer
