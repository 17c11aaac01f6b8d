"""Telling the server what the worker does with its instances.

A failed report is logged and dropped: the next state change or relist reports again, and
the engine must keep running while the server is away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from gpustack.schemas.model_instances import InstanceState, InstanceStatusUpdate
from gpustack.worker.downloads import ProgressCallback, download_progress
from gpustack.worker.server_client import ServerClient, ServerError, ServerUnreachableError

logger = logging.getLogger(__name__)


class InstanceReporter:
    """Sends instance state updates to the server; also the supervisor's ``on_state``."""

    def __init__(self, client: ServerClient) -> None:
        self.client = client

    async def report(
        self,
        instance_id: int,
        state: InstanceState,
        message: str = "",
        *,
        download_progress: float | None = None,
        restart_count: int | None = None,
        port: int | None = None,
        resolved_path: str | None = None,
    ) -> None:
        update = InstanceStatusUpdate(
            state=state,
            state_message=message,
            download_progress=download_progress,
            restart_count=restart_count,
            port=port,
            resolved_path=resolved_path,
        )
        try:
            await self.client.report_instance(instance_id, update)
        except (ServerError, ServerUnreachableError) as exc:
            # 404/409: the instance was deleted or moved meanwhile; the watch stream says so.
            logger.warning("reporting %s for instance %s failed: %s", state, instance_id, exc)

    async def on_engine_state(
        self, instance_id: int, state: str, message: str, restart_count: int, port: int | None
    ) -> None:
        """The supervisor's callback: `starting`, `running` or `error` of an engine."""
        await self.report(
            instance_id,
            InstanceState(state),
            message,
            restart_count=restart_count,
            port=port,
        )

    def progress_callback(self, instance_id: int, interval_s: float = 1.0) -> DownloadProgress:
        return DownloadProgress(self, instance_id, interval_s)


class DownloadProgress:
    """A download's progress callback that reports at most once per interval, one at a time.

    Called on the event loop by ``ensure_model``; the report itself runs as a task so the
    download never waits for the server. The caller reports the final 100 % itself.
    """

    def __init__(
        self,
        reporter: InstanceReporter,
        instance_id: int,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reporter = reporter
        self._instance_id = instance_id
        self._interval_s = interval_s
        self._clock = clock
        self._last_sent: float | None = None
        self._latest = 0.0
        self._inflight: asyncio.Task[None] | None = None

    @property
    def callback(self) -> ProgressCallback:
        return self._on_progress

    def _on_progress(self, downloaded: int, total: int) -> None:
        self._latest = download_progress(downloaded, total)
        now = self._clock()
        if self._last_sent is not None and now - self._last_sent < self._interval_s:
            return
        if self._inflight is not None and not self._inflight.done():
            return
        self._last_sent = now
        self._inflight = asyncio.create_task(self._send(self._latest))

    async def _send(self, percent: float) -> None:
        await self._reporter.report(
            self._instance_id,
            InstanceState.DOWNLOADING,
            f"downloading ({percent:.0f}%)",
            download_progress=percent,
        )

    async def cancel(self) -> None:
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
            await asyncio.gather(self._inflight, return_exceptions=True)
