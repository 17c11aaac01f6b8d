"""Cluster utilisation over time for the dashboard: one sample a minute, the last 24 hours.

Kept in memory on each server (a restart starts a new history): it is a view for people,
not a record anyone bills against.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from sqlmodel import select

from gpustack.schemas.workers import Worker
from gpustack.server.background import BackgroundLoop, every
from gpustack.server.context import ServerContext


class LoadHistory:
    def __init__(
        self, ctx: ServerContext, interval_seconds: float = 60.0, keep: int = 1440
    ) -> None:
        self._ctx = ctx
        self._interval = interval_seconds
        self._samples: deque[dict[str, Any]] = deque(maxlen=keep)
        self._background = BackgroundLoop("load-history", self._loop)

    def samples(self) -> list[dict[str, Any]]:
        return list(self._samples)

    def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()

    async def sample(self) -> None:
        # Imported here: the dashboard module imports this one for its type.
        from gpustack.server.api.dashboard import cluster_load

        async with self._ctx.sessions() as session:
            workers = list((await session.exec(select(Worker))).all())
        self._samples.append({"timestamp": int(time.time()), **cluster_load(workers)})

    async def _loop(self) -> None:
        await every(self._interval, self.sample, "sampling cluster load failed")
