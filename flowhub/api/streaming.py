"""Responses that stream bytes under ASGI as under WSGI, and the content negotiation of their views.

Django's ASGI handler reads a streaming response's synchronous iterator to the end before it
sends the first byte (`StreamingHttpResponse.__aiter__`), so a 1 GiB download would sit in
memory. `StreamingFileResponse` pulls one chunk at a time in a worker thread instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.http import FileResponse
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class StreamingFileResponse(FileResponse):
    """A FileResponse (of a binary stream, or an iterator of chunks) read 1 MiB at a time."""

    block_size = 1024 * 1024

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = iter(self.streaming_content)
        pull = sync_to_async(next, thread_sensitive=False)
        while (chunk := await pull(chunks, None)) is not None:
            yield chunk


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """For views that answer bytes: any `Accept` (kestrapy sends `application/octet-stream`) is
    served, and errors are problem JSON whatever the client asked for."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type
