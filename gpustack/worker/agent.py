"""The worker's life: register, serve the worker API, heartbeat, report status, reconcile.

`WorkerAgent.run` runs until cancelled; cancelling it (SIGTERM/SIGINT in `main`) stops every
engine before it returns.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from gpustack.config import Config
from gpustack.engines.installs import all_installs
from gpustack.engines.registry import EngineRegistry, default_registry
from gpustack.schemas.worker_status import EngineInstallInfo, WorkerStatus
from gpustack.schemas.workers import WorkerRegistered, WorkerRegistration
from gpustack.worker.api import api_runner, create_worker_app
from gpustack.worker.instance_reports import InstanceReporter
from gpustack.worker.instance_starter import ENGINE_HOST, InstanceStarter, StarterSettings
from gpustack.worker.inventory import GPUDetector, default_detectors, read_status
from gpustack.worker.model_files import ModelFiles
from gpustack.worker.reconciler import Reconciler
from gpustack.worker.server_client import (
    HttpServerClient,
    ServerError,
    ServerUnreachableError,
    UnauthorizedError,
)
from gpustack.worker.supervisor import PortAllocator, Supervisor, SupervisorSettings

logger = logging.getLogger(__name__)

TOKEN_FILE = "worker_token"


class RegistrationRefusedError(Exception):
    """The server refused to register this worker (wrong cluster token, name taken...)."""


@dataclass(frozen=True, slots=True)
class WorkerIdentity:
    """How this worker presents itself to the server."""

    name: str
    ip: str
    port: int
    labels: dict[str, str] = field(default_factory=dict)


class WorkerAgent:
    """One worker process: owns the server client, the supervisor and the worker API."""

    def __init__(
        self,
        config: Config,
        identity: WorkerIdentity,
        cluster_token: str,
        *,
        detectors: Sequence[GPUDetector] | None = None,
        supervisor_settings: SupervisorSettings | None = None,
        registry: EngineRegistry | None = None,
        register_retry_max_s: float = 10.0,
    ) -> None:
        if not config.server_url:
            raise ValueError("a worker needs the server URL")
        self.config = config
        self.identity = identity
        self.cluster_token = cluster_token
        self.detectors = list(default_detectors() if detectors is None else detectors)
        self.supervisor_settings = supervisor_settings
        self.registry = registry or default_registry()
        self.register_retry_max_s = register_retry_max_s
        self.client = HttpServerClient(
            config.server_url, cluster_token, verify_tls=config.server_tls_verify
        )
        self.client.on_unauthorized = self._register_again
        self.registered = asyncio.Event()
        self._status: WorkerStatus | None = None

    async def run(self) -> None:
        """Register, then keep the worker going until cancelled; cleans up on the way out."""
        config = self.config
        async with AsyncExitStack() as stack:
            stack.push_async_callback(self.client.close)
            self._status = await self._read_status()
            reporter = InstanceReporter(self.client)
            supervisor = Supervisor(
                config.data_dir,
                PortAllocator(*config.port_range, host=ENGINE_HOST),
                self.supervisor_settings or self._default_supervisor_settings(),
                reporter.on_engine_state,
            )
            stack.push_async_callback(supervisor.close)
            await self._register_until_answered()
            model_files = ModelFiles(self.client, config.resolved_cache_dir)
            await self._serve_api(stack, supervisor, model_files)
            starter = InstanceStarter(
                StarterSettings(
                    worker_name=self.identity.name,
                    cache_dir=config.resolved_cache_dir,
                    data_dir=config.data_dir,
                ),
                reporter,
                supervisor,
                self.registry,
                # Instance downloads show on the Model Files page and share pre-downloads.
                fetch_model=model_files.fetch_for_instance,
            )
            reconciler = Reconciler(self.client, supervisor, starter, reporter)
            async with asyncio.TaskGroup() as loops:
                loops.create_task(self._heartbeat_loop(), name="worker-heartbeat")
                loops.create_task(self._status_loop(), name="worker-status")
                loops.create_task(reconciler.run(), name="worker-reconciler")
                loops.create_task(model_files.run(), name="worker-model-files")

    def _default_supervisor_settings(self) -> SupervisorSettings:
        gpus = self._status.gpu_devices if self._status else []
        # One vendor per machine is the norm; the first GPU's decides the variable.
        vendor = gpus[0].vendor.value if gpus else "nvidia"
        return SupervisorSettings(host=ENGINE_HOST, host_has_gpus=bool(gpus), gpu_vendor=vendor)

    async def _serve_api(
        self, stack: AsyncExitStack, supervisor: Supervisor, model_files: ModelFiles
    ) -> None:
        app = create_worker_app(supervisor, self._worker_api_token, model_files=model_files)
        runner = api_runner(app)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, self.config.host, self.config.worker_port)
        await site.start()
        logger.info("worker API listening on %s:%s", self.config.host, self.config.worker_port)

    async def _register_until_answered(self) -> WorkerRegistered:
        """Register, retrying while the server is away (it may be starting beside us)."""
        delay = min(0.5, self.register_retry_max_s)
        while True:
            try:
                return await self._register()
            except UnauthorizedError as exc:
                raise RegistrationRefusedError(exc.message) from exc
            except ServerError as exc:
                if exc.status < 500:
                    raise RegistrationRefusedError(exc.message) from exc
                reason = str(exc)
            except ServerUnreachableError as exc:
                reason = str(exc)
            logger.warning("cannot register yet (%s); retrying in %g s", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.register_retry_max_s)

    async def _register(self) -> WorkerRegistered:
        identity = self.identity
        body = WorkerRegistration(
            name=identity.name,
            ip=identity.ip,
            port=identity.port,
            labels=identity.labels,
            status=self._status.model_dump(mode="json") if self._status else None,
        )
        # Our own token proves we are the worker the server already knows by this name.
        known, data_dir = self.client.registration, self.config.data_dir
        proof = known.token if known else await asyncio.to_thread(load_worker_token, data_dir)
        registered = await self.client.register(body, proof)
        await asyncio.to_thread(save_worker_token, data_dir, registered.token)
        self.registered.set()
        logger.info("registered as worker %s (id %s)", registered.name, registered.id)
        return registered

    async def _register_again(self) -> None:
        await self._register()

    def _worker_api_token(self) -> str | None:
        """What the server must present to our API: the one it derived for this worker."""
        registered = self.client.registration
        return registered.worker_api_token if registered else None

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_interval)
            try:
                await self.client.heartbeat()
            except (ServerError, ServerUnreachableError) as exc:
                logger.warning("heartbeat failed: %s", exc)

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.status_interval)
            try:
                self._status = await self._read_status()
                await self.client.report_status(self._status)
            except (ServerError, ServerUnreachableError) as exc:
                logger.warning("status report failed: %s", exc)

    async def _read_status(self) -> WorkerStatus:
        config = self.config
        extra = [config.resolved_cache_dir] if config.cache_dir else []
        status = await read_status(config.data_dir, self.detectors, extra)
        found = await asyncio.to_thread(all_installs, config.data_dir, os.environ.get("PATH"))
        engines = [
            EngineInstallInfo(backend=f.backend, version=f.version, path=f.path, managed=f.managed)
            for f in found
        ]
        return status.model_copy(update={"engines": engines})


def load_worker_token(data_dir: Path) -> str | None:
    """The token this worker saved at its last registration, if any."""
    try:
        return (data_dir / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def save_worker_token(data_dir: Path, token: str) -> Path:
    """Write the per-worker token to `<data_dir>/worker_token`, readable by the owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / TOKEN_FILE
    tmp = path.with_name(f".{TOKEN_FILE}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token)
    os.replace(tmp, path)
    return path
