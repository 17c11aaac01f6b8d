"""Bringing one assigned instance up: model spec, download, engine version, port, launch.

Each step that fails ends the instance in `error` with a message a user can act on; the
supervisor takes over from `starting` on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gpustack.engines.base import (
    Category,
    Engine,
    LaunchContext,
    LaunchSpec,
)
from gpustack.engines.installs import layout_for
from gpustack.engines.registry import EngineRegistry, UnknownEngineError
from gpustack.schemas.model_instances import InstanceState, ModelInstancePublic
from gpustack.schemas.models import ModelPublic, SourceKind
from gpustack.worker.downloads import (
    DownloadError,
    DownloadSource,
    LocalPathNotFoundError,
    ProgressCallback,
    ensure_model,
)
from gpustack.worker.engine_installer import (
    EngineInstaller,
    EngineInstallError,
    LineProgress,
    PipInstall,
    install_engine,
)
from gpustack.worker.instance_reports import InstanceReporter
from gpustack.worker.server_client import ServerError, ServerUnreachableError
from gpustack.worker.supervisor import InstanceStatus, PortAllocator

logger = logging.getLogger(__name__)

# Engines bind to loopback; other machines reach them through the worker's proxy.
ENGINE_HOST = "127.0.0.1"


class EngineSupervisor(Protocol):
    """The part of ``Supervisor`` the worker's agent uses (a seam for tests)."""

    ports: PortAllocator

    async def start(
        self,
        instance_id: int,
        spec: LaunchSpec,
        gpu_indexes: Sequence[int],
        port: int | None = None,
        *,
        name: str = "engine",
        restart_on_error: bool | None = None,
    ) -> int: ...

    async def stop(self, instance_id: int) -> None: ...

    async def stop_all(self) -> None: ...

    def running_ids(self) -> list[int]: ...

    def status_of(self, instance_id: int) -> InstanceStatus | None: ...

    def log_path(self, instance_id: int) -> Path: ...


class ModelFetcher(Protocol):
    """``ensure_model``'s signature: materialise a source, reporting byte progress."""

    async def __call__(
        self, source: DownloadSource, cache_dir: Path, progress_cb: ProgressCallback | None = None
    ) -> Path: ...


class InstanceStartError(Exception):
    """A step before the engine could start failed; ``str(error)`` is the state message."""


@dataclass(frozen=True, slots=True)
class StarterSettings:
    """Where models go and how this worker names itself in messages."""

    worker_name: str
    cache_dir: Path
    data_dir: Path
    progress_interval_s: float = 1.0


class InstanceStarter:
    """Runs the steps from `scheduled` to a supervised engine for one instance at a time."""

    def __init__(
        self,
        settings: StarterSettings,
        reporter: InstanceReporter,
        supervisor: EngineSupervisor,
        registry: EngineRegistry,
        fetch_model: ModelFetcher = ensure_model,
        install: EngineInstaller = install_engine,
    ) -> None:
        self.settings = settings
        self.reporter = reporter
        self.supervisor = supervisor
        self.registry = registry
        self.fetch_model = fetch_model
        self.install = install

    async def start(self, instance: ModelInstancePublic) -> None:
        """Prepare and launch; reports `error` on failure. Cancelling stops at the next step."""
        instance_id = instance.id
        try:
            await self.reporter.report(instance_id, InstanceState.INITIALIZING, "fetching spec")
            _refuse_subordinates(instance)
            model = await self._fetch_model(instance.model_id)
            path = await self._download(instance_id, model)
            executable = await self._engine_version(instance)
            await self._launch(instance, model, path, executable)
        except InstanceStartError as exc:
            await self.reporter.report(instance_id, InstanceState.ERROR, str(exc))
        except Exception as exc:
            logger.exception("starting instance %s failed", instance_id)
            await self.reporter.report(instance_id, InstanceState.ERROR, f"internal error: {exc}")

    async def _fetch_model(self, model_id: int) -> ModelPublic:
        try:
            return await self.reporter.client.get_model(model_id)
        except (ServerError, ServerUnreachableError) as exc:
            raise InstanceStartError(f"cannot read model {model_id}: {exc}") from exc

    async def _download(self, instance_id: int, model: ModelPublic) -> Path:
        source = model_source(model)
        await self.reporter.report(
            instance_id,
            InstanceState.DOWNLOADING,
            f"fetching {source.describe()}",
            download_progress=0.0,
        )
        progress = self.reporter.progress_callback(instance_id, self.settings.progress_interval_s)
        try:
            path = await self.fetch_model(source, self.settings.cache_dir, progress.callback)
        except LocalPathNotFoundError as exc:
            where = f"worker {self.settings.worker_name}"
            raise InstanceStartError(
                f"local path {model.local_path} does not exist on {where}"
            ) from exc
        except DownloadError as exc:
            raise InstanceStartError(str(exc)) from exc
        finally:
            await progress.cancel()
        await self.reporter.report(
            instance_id,
            InstanceState.DOWNLOADING,
            f"downloaded to {path}",
            download_progress=100.0,
            resolved_path=str(path),
        )
        return path

    async def _engine_version(self, instance: ModelInstancePublic) -> str | None:
        """Installs the pinned version of a per-version engine on first use; returns the
        program of a version an administrator gave as an executable (else None: the engine
        finds its install, or names the one missing)."""
        backend, version = instance.backend or "", instance.backend_version
        layout = layout_for(backend)
        if not version or layout is None:
            return None
        try:
            if layout.is_installed(layout.version_dir(self.settings.data_dir, version)):
                return None
        except ValueError as exc:
            raise InstanceStartError(str(exc)) from exc
        try:
            added = await self.reporter.client.get_engine_version(backend, version)
        except (ServerError, ServerUnreachableError) as exc:
            raise InstanceStartError(f"cannot read {backend} version {version}: {exc}") from exc
        if added is None:
            return None
        if added.executable:
            if not await asyncio.to_thread(Path(added.executable).is_file):
                where = f"worker {self.settings.worker_name}"
                raise InstanceStartError(
                    f"{backend} {version}: {added.executable} does not exist on {where}"
                )
            return added.executable
        pip = PipInstall.of(added)

        async def send(percent: float, line: str) -> None:
            await self.reporter.report(
                instance.id,
                InstanceState.INSTALLING,
                f"installing {pip.pip_spec} ({percent:.0f}%): {line}",
            )

        await send(0.0, "starting")
        progress = LineProgress(send, self.settings.progress_interval_s)
        try:
            await self.install(layout, pip, self.settings.data_dir, progress)
        except EngineInstallError as exc:
            raise InstanceStartError(str(exc)) from exc
        finally:
            await progress.drain()
        await self.reporter.report(
            instance.id, InstanceState.INSTALLING, f"installed {backend} {version}"
        )
        return None

    async def _launch(
        self,
        instance: ModelInstancePublic,
        model: ModelPublic,
        path: Path,
        executable: str | None = None,
    ) -> None:
        engine, categories = await self._scheduled_engine(instance, model, path)
        ports = self.supervisor.ports
        port = ports.allocate(instance.id)
        try:
            claim = instance.computed_resource_claim
            context = LaunchContext(
                model_name=model.name,
                model_path=path,
                port=port,
                host=ENGINE_HOST,
                gpu_indexes=tuple(instance.gpu_indexes),
                categories=categories,
                backend_parameters=tuple(model.backend_parameters),
                env=dict(model.env),
                offload_layers=claim.offload_layers if claim else None,
                command_template=model.backend_command,
                data_dir=self.settings.data_dir,
                health_path=model.health_path,
                context_length=instance.context_length,
                backend_version=instance.backend_version,
                engine_executable=executable,
            )
            spec = engine.build_launch(context)
            await self.supervisor.start(
                instance.id,
                spec,
                instance.gpu_indexes,
                port=port,
                name=engine.name,
                restart_on_error=model.restart_on_error,
            )
        except BaseException as exc:
            ports.release(port)
            if isinstance(exc, ValueError):
                raise InstanceStartError(f"cannot build the {engine.name} command: {exc}") from exc
            raise

    async def _scheduled_engine(
        self, instance: ModelInstancePublic, model: ModelPublic, path: Path
    ) -> tuple[Engine, tuple[Category, ...]]:
        """The engine and categories the scheduler decided; the worker never re-decides them."""
        if not instance.backend:
            raise InstanceStartError("the scheduler recorded no engine for this instance")
        try:
            engine = self.registry[instance.backend]
        except UnknownEngineError as exc:
            raise InstanceStartError(_message(exc)) from exc
        categories = tuple(Category(c) for c in instance.categories or model.categories)
        return engine, categories


def _refuse_subordinates(instance: ModelInstancePublic) -> None:
    """An instance spread across workers is not started here alone.

    Its claim put layers on the subordinate workers; run alone, the engine would load them
    all on this worker. Until subordinate parts are launched, it stops in `error` before
    any download.
    """
    parts = instance.subordinate_workers or []
    if parts:
        names = ", ".join(p.worker_name for p in parts)
        raise InstanceStartError(
            f"this instance is spread across workers (with {names}); this worker does not "
            "start the parts on other workers yet: deploy it without "
            "distributed_inference_across_workers on a worker that holds it"
        )


def _message(exc: Exception) -> str:
    # KeyError subclasses quote their message; show it as written.
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


def model_source(model: ModelPublic) -> DownloadSource:
    """The downloader's description of where a deployment's weights come from."""
    if model.source is SourceKind.HUGGINGFACE:
        assert model.huggingface_repo_id is not None
        return DownloadSource.huggingface(
            model.huggingface_repo_id,
            model.huggingface_filename,
            include_mmproj=Category.LLM in model.categories or not model.categories,
        )
    if model.source is SourceKind.MODEL_SCOPE:
        assert model.model_scope_model_id is not None
        return DownloadSource.model_scope(
            model.model_scope_model_id,
            model.model_scope_file_path,
            include_mmproj=Category.LLM in model.categories or not model.categories,
        )
    assert model.local_path is not None
    return DownloadSource.local(model.local_path)
