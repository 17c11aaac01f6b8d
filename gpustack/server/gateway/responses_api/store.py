"""Responses kept for `previous_response_id`, in this server's memory, for a bounded time.

Each entry holds the Response and the whole conversation that led to it (its own output
included), so a follow-up needs only its latest predecessor. Entries live `ttl_s` after they
were made; past `max_entries` or `max_bytes` the oldest go first. Only the user who made a
response can read it. With several servers, a follow-up must reach the server that answered
the response it names (others answer 400 `previous_response_not_found`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..jsonio import dumps, loads


@dataclass(frozen=True, slots=True)
class _Entry:
    owner: int
    response: bytes
    conversation: bytes
    expires: float

    @property
    def size(self) -> int:
        return len(self.response) + len(self.conversation)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    response: dict[str, Any]
    conversation: list[dict[str, Any]]  # chat messages, the response's output last


class ResponseStore:
    """Response id → response and conversation; bounded by age, count and bytes."""

    def __init__(
        self,
        ttl_s: float = 3600.0,
        max_entries: int = 1000,
        max_bytes: int = 64 << 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_s
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        # Insertion order is expiry order: every entry lives the same time.
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        self._expire(self._clock())
        return len(self._entries)

    def put(
        self,
        response_id: str,
        owner: int,
        response: dict[str, Any],
        conversation: list[dict[str, Any]],
    ) -> None:
        now = self._clock()
        entry = _Entry(owner, dumps(response), dumps(conversation), now + self._ttl)
        if entry.size > self._max_bytes:
            return  # larger than the whole store: kept nowhere
        self._expire(now)
        self._drop(response_id)
        self._entries[response_id] = entry
        self._bytes += entry.size
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def get(self, response_id: str, owner: int) -> StoredResponse | None:
        self._expire(self._clock())
        entry = self._entries.get(response_id)
        if entry is None or entry.owner != owner:
            return None
        return StoredResponse(loads(entry.response), loads(entry.conversation))

    def _expire(self, now: float) -> None:
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest.expires > now:
                return
            self._drop(next(iter(self._entries)))

    def _drop(self, response_id: str) -> None:
        entry = self._entries.pop(response_id, None)
        if entry is not None:
            self._bytes -= entry.size
