"""A Server-Sent Events reader over httpx, as a browser's EventSource parses a stream (ids, data, comments)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    id: str | None
    data: Any


class _Parser:
    def __init__(self) -> None:
        self.event_id: str | None = None
        self.data: list[str] = []

    def feed(self, line: str) -> Event | None:
        if line == "":
            event = Event(self.event_id, json.loads("\n".join(self.data))) if self.data else None
            self.event_id, self.data = None, []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            self.event_id = value
        elif name == "data":
            self.data.append(value)
        return None


def events(lines: Iterable[str]) -> Iterator[Event]:
    parser = _Parser()
    for line in lines:
        if (event := parser.feed(line)) is not None:
            yield event


async def aevents(response: httpx.Response) -> AsyncIterator[Event]:
    parser = _Parser()
    async for line in response.aiter_lines():
        if (event := parser.feed(line)) is not None:
            yield event


async def read_to_end(client: httpx.AsyncClient, path: str, on_first: Callable[[], None] = lambda: None) -> list[Event]:
    """Every event of a stream, until the server closes it; `on_first` is called on the first one."""
    async with client.stream("GET", path, headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200, await response.aread()
        received = []
        async for event in aevents(response):
            if not received:
                on_first()
            received.append(event)
        return received
