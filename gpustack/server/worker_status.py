"""Workers' status reports, written by group commit: one transaction for all that arrive together.

1,000 workers report every 15 s: one transaction each queued up behind SQLite's single writer
until the connection pool ran dry. A report now joins the batch being gathered while the
previous one commits, and its request still answers only once its row is written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.workers import Worker


@dataclass
class _Pending:
    status: dict[str, Any]
    at: datetime
    waiters: list[asyncio.Future[Worker | None]] = field(default_factory=list)


class StatusWriter:
    """`report` stores a worker's status and heartbeat time; None for an unknown worker."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._pending: dict[int, _Pending] = {}
        self._writer: asyncio.Task[None] | None = None

    async def report(self, worker_id: int, status: dict[str, Any]) -> Worker | None:
        waiter: asyncio.Future[Worker | None] = asyncio.get_running_loop().create_future()
        entry = self._pending.get(worker_id)
        if entry is None:
            entry = self._pending[worker_id] = _Pending(status, utcnow())
        else:  # a newer report of the same worker in the same batch replaces the older
            entry.status, entry.at = status, utcnow()
        entry.waiters.append(waiter)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="worker-status")
        return await waiter

    async def _write_all(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            try:
                rows = await self._write(batch)
            except Exception as exc:
                for entry in batch.values():
                    for waiter in entry.waiters:
                        if not waiter.done():
                            waiter.set_exception(exc)
                continue
            for worker_id, entry in batch.items():
                for waiter in entry.waiters:
                    if not waiter.done():
                        waiter.set_result(rows.get(worker_id))

    async def _write(self, batch: dict[int, _Pending]) -> dict[int, Worker]:
        rows: dict[int, Worker] = {}
        async with self._sessions() as session:
            for worker_id, entry in batch.items():
                stmt = (
                    update(Worker)
                    .where(col(Worker.id) == worker_id)
                    .values(status=entry.status, heartbeat_time=entry.at, updated_at=entry.at)
                    .returning(Worker)
                )
                worker = (await session.execute(stmt)).scalar_one_or_none()
                if worker is not None:
                    rows[worker_id] = worker
            await session.commit()
        return rows
