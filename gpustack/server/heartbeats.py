"""Worker heartbeats are held in memory and written in one batch per second.

A heartbeat request then costs no database round trip; the worker health controller reads
`heartbeat_time` at most a second behind, against a 15 s threshold.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.workers import Worker, WorkerPublic, WorkerState
from gpustack.server.background import BackgroundLoop, every
from gpustack.server.context import ServerContext

_REVIVED = (WorkerState.NOT_READY.value, WorkerState.UNREACHABLE.value)


class HeartbeatRecorder:
    def __init__(self, ctx: ServerContext, flush_seconds: float = 1.0) -> None:
        self._ctx = ctx
        self._flush_seconds = flush_seconds
        self._pending: dict[int, datetime] = {}
        self._background = BackgroundLoop("heartbeat-flush", self._loop)

    def record(self, worker_id: int) -> None:
        self._pending[worker_id] = utcnow()

    def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
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
        failure = "writing heartbeats failed; retrying next second"
        await every(self._flush_seconds, self.flush, failure, wait_first=True)
