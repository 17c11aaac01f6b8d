"""Level-triggered convergence of the instances the server assigns to this worker.

On start and after every reconnect of the watch stream the worker lists what is assigned to it
and converges everything: assigned and not running here → start; running here and not
assigned (deleted, moved, or forgotten by a reset server) → stop. Each event converges the one
instance it names. Starting runs as one task per instance, so a long download never blocks
others, and deleting an instance mid-download cancels its task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from gpustack.schemas.events import EventType
from gpustack.schemas.model_instances import InstanceState, ModelInstancePublic
from gpustack.worker.instance_reports import InstanceReporter
from gpustack.worker.instance_starter import EngineSupervisor, InstanceStarter
from gpustack.worker.server_client import (
    InstanceEvent,
    ServerClient,
)
from gpustack.worker.supervisor import InstanceStatus
from gpustack.worker.watch_loop import follow_watch

logger = logging.getLogger(__name__)

# States the server keeps while the instance should be up on its worker. `error` is left
# alone: restarting a failed download in a loop would hide the message from the user.
WANTED_UP = frozenset(
    {
        InstanceState.SCHEDULED,
        InstanceState.INITIALIZING,
        InstanceState.DOWNLOADING,
        InstanceState.INSTALLING,
        InstanceState.STARTING,
        InstanceState.RUNNING,
        InstanceState.UNREACHABLE,
    }
)


class Reconciler:
    """Makes the engines on this worker match the server's instances for it."""

    def __init__(
        self,
        client: ServerClient,
        supervisor: EngineSupervisor,
        starter: InstanceStarter,
        reporter: InstanceReporter,
        *,
        retry_initial_s: float = 1.0,
        retry_max_s: float = 15.0,
    ) -> None:
        self.client = client
        self.supervisor = supervisor
        self.starter = starter
        self.reporter = reporter
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._starting: dict[int, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Watch and converge until cancelled; reconnects with a backoff when the stream breaks."""
        try:
            await follow_watch(
                self.client.watch_instances,
                self.resync,
                self.handle,
                stream="instance watch",
                work="reconciling",
                retry_initial_s=self.retry_initial_s,
                retry_max_s=self.retry_max_s,
            )
        finally:
            await self._cancel_all_starts()

    async def resync(self) -> None:
        """List the instances assigned here, stop orphans and converge every listed one."""
        assigned = await self.client.list_instances()
        known = {instance.id for instance in assigned}
        for instance_id in self.local_ids() - known:
            logger.info("instance %s is no longer assigned to this worker: stopping", instance_id)
            await self.stop(instance_id)
        for instance in assigned:
            await self.converge(instance)

    async def handle(self, event: InstanceEvent) -> None:
        instance = event.instance
        if event.type is EventType.DELETED:
            if instance.id in self.local_ids():
                logger.info("instance %s was deleted: stopping", instance.id)
                await self.stop(instance.id)
            return
        await self.converge(instance)

    async def converge(self, instance: ModelInstancePublic) -> None:
        """Bring one instance to what the server wants of this worker."""
        instance_id = instance.id
        if instance.worker_id != self.client.worker_id:
            if instance_id in self.local_ids():
                logger.info(
                    "instance %s moved to worker %s: stopping", instance_id, instance.worker_id
                )
                await self.stop(instance_id)
            return
        if instance_id in self._starting:
            return
        local = self.supervisor.status_of(instance_id)
        if local is not None:
            await self._resend_if_stale(instance, local)
            return
        if instance.state in WANTED_UP:
            self._begin_start(instance)

    async def stop(self, instance_id: int) -> None:
        task = self._starting.pop(instance_id, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.supervisor.stop(instance_id)

    def local_ids(self) -> set[int]:
        """Instances being started or supervised on this worker."""
        return set(self._starting) | set(self.supervisor.running_ids())

    async def wait_for_starts(self) -> None:
        """Wait until every start in progress has finished (for tests and shutdown)."""
        await asyncio.gather(*self._starting.values(), return_exceptions=True)

    def _begin_start(self, instance: ModelInstancePublic) -> None:
        task = asyncio.create_task(
            self.starter.start(instance), name=f"start-instance-{instance.id}"
        )
        self._starting[instance.id] = task
        task.add_done_callback(lambda done: self._forget_start(instance.id, done))

    def _forget_start(self, instance_id: int, task: asyncio.Task[None]) -> None:
        if self._starting.get(instance_id) is task:
            del self._starting[instance_id]

    async def _resend_if_stale(self, instance: ModelInstancePublic, local: InstanceStatus) -> None:
        """After a server restart or outage the server may show a stale state: resend ours."""
        if local.state is None or instance.state.value == local.state.value:
            return
        await self.reporter.report(
            instance.id,
            InstanceState(local.state.value),
            local.message,
            restart_count=local.restart_count,
            port=local.port,
        )

    async def _cancel_all_starts(self) -> None:
        tasks: Iterable[asyncio.Task[None]] = list(self._starting.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._starting.clear()
