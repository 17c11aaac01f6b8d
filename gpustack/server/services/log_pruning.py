"""The leader's schedule that drops old audit and request log rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from gpustack.schemas.audit_logs import AuditLog
from gpustack.schemas.common import utcnow
from gpustack.server.background import BackgroundLoop, every
from gpustack.server.context import ServerContext
from gpustack.server.services.request_log_store import prune_request_logs


async def prune_audit_logs(ctx: ServerContext) -> None:
    cutoff = utcnow() - timedelta(days=ctx.config.audit_log_retention)
    async with ctx.sessions() as session:
        await session.exec(delete(AuditLog).where(col(AuditLog.created_at) < cutoff))
        await session.commit()


class LogPruner:
    """Prunes both logs at start and then every `interval_s`, while this server leads."""

    def __init__(self, ctx: ServerContext, interval_s: float = 600.0) -> None:
        self._ctx = ctx
        self._interval = interval_s
        self._background = BackgroundLoop("log-pruning", self._run)

    def start(self) -> None:
        self._background.start()

    async def start_async(self) -> None:
        self.start()

    async def stop(self) -> None:
        await self._background.stop()

    async def prune(self) -> None:
        config = self._ctx.config
        await prune_audit_logs(self._ctx)
        await prune_request_logs(
            self._ctx.sessions, config.request_log_retention, config.request_log_max_total_bytes
        )

    async def _run(self) -> None:
        await every(self._interval, self.prune, "pruning the audit and request logs failed")
