"""When each model was last asked for: kept per request in memory, flushed every few seconds.

The leader decides idleness from the database (it may be another server), so the times go
there, but off the request path: `seen` is one dict store, and a background task writes
the models seen since the last flush (and those with requests still running or waiting,
which are not idle either) in one statement per model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from gpustack.server.background import BackgroundLoop, every

logger = logging.getLogger(__name__)


class ActivitySink(Protocol):
    """Where the gateway's activity goes (the server's database)."""

    async def touch(self, last_request: Mapping[int, float]) -> None:
        """Record model id → wall-clock time of its latest request (only ever later)."""

    async def wake(self, model_id: int) -> None:
        """Ask for a sleeping model to be woken (a write and an event the leader reacts to)."""


class ActivityTracker:
    """Latest request time per model id, flushed to `sink` every `interval_s`."""

    def __init__(
        self,
        sink: ActivitySink | None,
        busy: Callable[[], Iterable[int]],
        interval_s: float = 2.0,
    ) -> None:
        self._sink = sink
        self._busy = busy
        self._interval_s = interval_s
        self._seen: dict[int, float] = {}
        self._background = BackgroundLoop("gateway-activity", self._run)

    def seen(self, model_id: int, at: float) -> None:
        self._seen[model_id] = at

    async def start(self) -> None:
        if self._sink is not None:
            self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
        await self.flush()

    async def flush(self) -> None:
        seen, self._seen = self._seen, {}
        now = time.time()
        for model_id in self._busy():
            seen[model_id] = now
        if seen and self._sink is not None:
            try:
                await self._sink.touch(seen)
            except Exception:
                # Put them back: the next flush tries again, later times win.
                for model_id, at in seen.items():
                    self._seen[model_id] = max(at, self._seen.get(model_id, 0.0))
                raise

    async def _run(self) -> None:
        await every(self._interval_s, self.flush, "flushing request times failed; retrying")
