"""In-process event bus: every write publishes an event that watch streams and caches follow."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gpustack.schemas.events import EventType, ResourceKind


@dataclass(frozen=True)
class Event:
    """One change to one row; `data` is the row's public JSON form after the change."""

    kind: ResourceKind
    type: EventType
    id: int
    data: dict[str, Any] = field(default_factory=dict)
    # Empty for events of this process; the id of the server that published it otherwise.
    origin: str = ""
    # For in-server readers only (never sent to watchers): e.g. "credentials" when a worker's
    # token was rotated, so caches of it must be dropped.
    hint: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.type.value, "data": self.data}

    @cached_property
    def wire_json(self) -> str:
        """`to_wire()` as JSON, encoded once however many watch streams send it."""
        return json.dumps(self.to_wire(), separators=(",", ":"))


Listener = Callable[[Event], None]


class EventBus:
    """Fan-out of events to watch queues (slow readers drop the oldest) and sync listeners."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._queues: dict[ResourceKind, set[asyncio.Queue[Event]]] = {}
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """Called synchronously on every publish: for cache invalidation, must be cheap."""
        self._listeners.append(listener)

    def publish(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)
        for queue in self._queues.get(event.kind, ()):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    async def subscribe(self, kind: ResourceKind) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._queues.setdefault(kind, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[kind].discard(queue)

    def subscriber_count(self, kind: ResourceKind) -> int:
        return len(self._queues.get(kind, ()))
