"""Worker heartbeats are held in memory and written in one batch per second.

A heartbeat request then costs no database round trip; the worker health controller reads
`heartbeat_time` at most a second behind, against a 15 s threshold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.workers import Worker, WorkerPublic, WorkerState
from gpustack.server.context import ServerContext

logger = logging.getLogger(__name__)

_REVIVED = (WorkerState.NOT_READY.value, WorkerState.UNREACHABLE.value)


class HeartbeatRecorder:
    def __init__(self, ctx: ServerContext, flush_seconds: float = 1.0) -> None:
        self._ctx = ctx
        self._flush_seconds = flush_seconds
        self._pending: dict[int, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def record(self, worker_id: int) -> None:
        self._pending[worker_id] = utcnow()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="heartbeat-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            return
        revived = []
        async with self._ctx.sessions() as session:
            # Bulk UPDATE by primary key: no rows (and no status JSON) are loaded for this.
            beats = [{"id": i, "heartbeat_time": t} for i, t in pending.items()]
            await session.execute(update(Worker), beats)
            query = select(Worker).where(
                col(Worker.id).in_(list(pending)), col(Worker.state).in_(_REVIVED)
            )
            for worker in (await session.exec(query)).all():
                worker.state, worker.state_message = WorkerState.READY.value, ""
                worker.updated_at = utcnow()
                session.add(worker)
                revived.append(worker)
            await session.commit()
        for worker in revived:
            assert worker.id is not None
            public = WorkerPublic.model_validate(worker.model_dump())
            self._ctx.publish(ResourceKind.WORKERS, EventType.UPDATED, worker.id, public)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            try:
                await self.flush()
            except Exception:
                logger.exception("writing heartbeats failed; retrying next second")
