"""The worker's engine supervisor: one task per instance, started and stopped by id."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import aiohttp

from gpustack.engines.base import LaunchSpec
from gpustack.worker.supervisor.instance import (
    EngineState,
    InstanceLaunch,
    InstanceRunner,
    StateCallback,
)
from gpustack.worker.supervisor.logs import InstanceLogs
from gpustack.worker.supervisor.ports import PortAllocator
from gpustack.worker.supervisor.settings import SupervisorSettings

logger = logging.getLogger(__name__)


class AlreadySupervisedError(RuntimeError):
    """`start` was called for an instance that is already supervised; stop it first."""


@dataclass(frozen=True, slots=True)
class InstanceStatus:
    """What the supervisor last reported for one instance."""

    state: EngineState | None
    message: str
    restart_count: int
    port: int
    pid: int | None


@dataclass(slots=True)
class _Supervised:
    runner: InstanceRunner
    task: asyncio.Task[None]


class Supervisor:
    """Starts engine processes for model instances and keeps them running.

    For each instance it reports `starting` (process launched, waiting for health),
    `running` (health check answered 200) and `error` (process exited, health lost or
    startup timed out; with the exit code and last log lines) through `on_state`, and
    restarts failed engines with an exponential backoff when restart_on_error is set.
    It must run on an event loop that lives as long as the worker (see `process`).
    """

    def __init__(
        self,
        data_dir: Path,
        ports: PortAllocator,
        settings: SupervisorSettings,
        on_state: StateCallback,
    ) -> None:
        self.logs = InstanceLogs(data_dir)
        self.ports = ports
        self.settings = settings
        self.on_state = on_state
        self._instances: dict[int, _Supervised] = {}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Supervisor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(
        self,
        instance_id: int,
        spec: LaunchSpec,
        gpu_indexes: Sequence[int],
        port: int | None = None,
        *,
        name: str = "engine",
        restart_on_error: bool | None = None,
    ) -> int:
        """Start supervising an instance; returns its port.

        `port` is the one the engine's command line was built for; it is reserved for the
        instance until `stop`. Without it a free port is allocated and handed to the engine
        in the PORT environment variable. `name` appears in state messages ("starting
        llama.cpp on port 40001"); `restart_on_error` overrides the settings' default.
        Raises AlreadySupervisedError, or NoFreePortError / PortTakenError from the ports.
        """
        if instance_id in self._instances:
            raise AlreadySupervisedError(f"instance {instance_id} is already supervised")
        if port is None:
            port = self.ports.allocate(instance_id)
            spec = replace(spec, env={**spec.env, "PORT": str(port)})
        else:
            self.ports.reserve(port, instance_id)
        launch = InstanceLaunch(
            instance_id=instance_id,
            spec=spec,
            gpu_indexes=tuple(gpu_indexes),
            port=port,
            name=name,
            restart_on_error=(
                self.settings.restart_on_error if restart_on_error is None else restart_on_error
            ),
        )
        runner = InstanceRunner(launch, self.settings, self.logs, self._http(), self.on_state)
        task = asyncio.create_task(runner.run(), name=f"supervise-instance-{instance_id}")
        task.add_done_callback(_log_crash)
        self._instances[instance_id] = _Supervised(runner, task)
        return port

    async def stop(self, instance_id: int) -> None:
        """Stop an instance's engine (SIGTERM, then SIGKILL to its group) and free its port."""
        supervised = self._instances.pop(instance_id, None)
        if supervised is None:
            return
        try:
            supervised.task.cancel()
            await asyncio.gather(supervised.task, return_exceptions=True)
        finally:
            self.ports.release(supervised.runner.launch.port)

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(instance_id) for instance_id in list(self._instances)))

    async def close(self) -> None:
        """Stop every engine and release the HTTP session used for health checks."""
        try:
            await self.stop_all()
        finally:
            if self._session is not None:
                await self._session.close()
                self._session = None

    def running_ids(self) -> list[int]:
        """Ids of supervised instances: started and not stopped, even if given up in error."""
        return list(self._instances)

    def port_of(self, instance_id: int) -> int | None:
        supervised = self._instances.get(instance_id)
        return supervised.runner.launch.port if supervised else None

    def log_path(self, instance_id: int) -> Path:
        return self.logs.path(instance_id)

    def status_of(self, instance_id: int) -> InstanceStatus | None:
        supervised = self._instances.get(instance_id)
        if supervised is None:
            return None
        runner = supervised.runner
        return InstanceStatus(
            state=runner.state,
            message=runner.message,
            restart_count=runner.restart_count,
            port=runner.launch.port,
            pid=runner.process.pid if runner.process else None,
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env stays off: a proxy from the environment must not see local checks.
            self._session = aiohttp.ClientSession()
        return self._session


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("supervision task %s crashed", task.get_name(), exc_info=task.exception())
