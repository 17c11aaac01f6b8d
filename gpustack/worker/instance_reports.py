"""Telling the server what the worker does with its instances.

A failed report is logged and dropped: the next state change or relist reports again, and
the engine must keep running while the server is away.
"""

from __future__ import annotations

import logging

from gpustack.schemas.model_instances import InstanceState, InstanceStatusUpdate
from gpustack.worker.downloads.progress import ThrottledProgress
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

    def progress_callback(self, instance_id: int, interval_s: float = 1.0) -> ThrottledProgress:
        """Download progress of an instance, reported as its `downloading` state."""

        async def send(percent: float) -> None:
            await self.report(
                instance_id,
                InstanceState.DOWNLOADING,
                f"downloading ({percent:.0f}%)",
                download_progress=percent,
            )

        return ThrottledProgress(send, interval_s)
