"""Runs the controllers: reacts to events through one serial work queue, and sweeps periodically."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from sqlmodel import select

from gpustack.db.engine import is_sqlite
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.models import Model
from gpustack.server.background import BackgroundLoop, every
from gpustack.server.context import ServerContext
from gpustack.server.controllers.autoscaler import Autoscaler
from gpustack.server.controllers.drain import finish_drains
from gpustack.server.controllers.idle_sleeper import put_idle_to_sleep
from gpustack.server.controllers.model_status import refresh_model_status
from gpustack.server.controllers.replicas import reconcile_replicas
from gpustack.server.controllers.worker_changes import WorkerStateChanges
from gpustack.server.controllers.worker_health import check_worker_health
from gpustack.server.events import Event

logger = logging.getLogger(__name__)

Scheduler = Callable[[], Awaitable[None]]


class ControllerManager:
    """One serial queue of dirty deployments, so two reconciles never race on one model."""

    def __init__(
        self, ctx: ServerContext, schedule: Scheduler | None = None, sweep_seconds: float = 5.0
    ) -> None:
        self._ctx = ctx
        self._schedule = schedule
        self._sweep_seconds = sweep_seconds
        self._dirty: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()
        self._schedule_wanted = asyncio.Event()
        self._sweep_wanted = asyncio.Event()
        self._background = BackgroundLoop("controllers", self._run)
        self._listening = False
        self._worker_changes = WorkerStateChanges()

    def start(self) -> None:
        if not self._listening:
            self._ctx.bus.add_listener(self._on_event)
            self._listening = True
        self._background.start()

    async def start_async(self) -> None:
        self.start()

    async def stop(self) -> None:
        await self._background.stop()

    def _on_event(self, event: Event) -> None:
        if not self._background.running:
            return  # not the leader (or stopped): another server reconciles
        if event.kind == ResourceKind.MODELS and event.type != EventType.DELETED:
            self._mark(event.id)
        elif event.kind == ResourceKind.MODEL_INSTANCES:
            model_id = event.data.get("model_id")
            if isinstance(model_id, int):
                self._mark(model_id)
            self._schedule_wanted.set()
        elif event.kind == ResourceKind.WORKERS and self._worker_changes.changed(event):
            self._schedule_wanted.set()
            self._sweep_wanted.set()  # e.g. maintenance: its instances move off now

    def _mark(self, model_id: int) -> None:
        if model_id not in self._queued:
            self._queued.add(model_id)
            self._dirty.put_nowait(model_id)

    async def _run(self) -> None:
        # One group: stopping cancels every loop at once, so none runs on alone.
        async with asyncio.TaskGroup() as group:
            loops = (
                self._work_loop,
                self._sweep_loop,
                self._health_loop,
                self._schedule_loop,
                self._elastic_loop,
            )
            for loop in loops:
                group.create_task(loop(), name=loop.__name__)

    async def _work_loop(self) -> None:
        while True:
            model_id = await self._dirty.get()
            self._queued.discard(model_id)
            try:
                await reconcile_replicas(self._ctx, model_id)
                await refresh_model_status(self._ctx, model_id)
            except Exception:
                logger.exception("reconciling model %s failed; the next sweep retries", model_id)

    async def _sweep_loop(self) -> None:
        """Every model is reconciled each `sweep_seconds`, and at once when a worker changed."""
        while True:
            try:
                await self._sweep()
            except Exception:
                logger.exception("controller sweep failed; retrying")
            try:
                await asyncio.wait_for(self._sweep_wanted.wait(), self._sweep_seconds)
            except TimeoutError:
                pass
            self._sweep_wanted.clear()

    async def _sweep(self) -> None:
        async with self._ctx.sessions() as session:
            ids = (await session.exec(select(Model.id))).all()
        for model_id in ids:
            if model_id is not None:
                self._mark(model_id)
        self._schedule_wanted.set()

    async def _health_loop(self) -> None:
        # Every second, so "not_ready after 15 s" means 15 s, not 15 s plus a sweep period.
        await every(
            1.0, lambda: check_worker_health(self._ctx), "worker health check failed; retrying"
        )

    async def _elastic_loop(self) -> None:
        """Drains, idle deployments and autoscaling, twice a second (each a query or two)."""
        config = self._ctx.config
        autoscaler = Autoscaler(
            self._ctx,
            self._load,
            time.monotonic,
            config.autoscale_up_window,
            config.autoscale_cooldown,
        )
        # Alone on SQLite this server's gateway sees every request; with others it does not.
        alone = is_sqlite(config.resolved_database_url)

        async def step() -> None:
            await finish_drains(self._ctx, self._in_flight if alone else None)
            await put_idle_to_sleep(self._ctx, self._load)
            await autoscaler.step()

        await every(0.5, step, "elastic controllers failed; retrying")

    def _load(self, name: str) -> int:
        """Requests this server's gateway runs and queues for the model."""
        gateway = getattr(self._ctx, "gateway", None)
        if gateway is None:
            return 0
        running, waiting = gateway.admission.load(name)
        return int(running + waiting + gateway.wakeups.waiting(name))

    def _in_flight(self, instance_id: int) -> int:
        gateway = getattr(self._ctx, "gateway", None)
        return 0 if gateway is None else int(gateway.balancer.outstanding(instance_id))

    async def _schedule_loop(self) -> None:
        while self._schedule is not None:
            await self._schedule_wanted.wait()
            self._schedule_wanted.clear()
            try:
                await self._schedule()
            except Exception:
                logger.exception("scheduling pass failed; retrying on the next change")
            # Coalesce bursts of events into one pass.
            await asyncio.sleep(0.2)
