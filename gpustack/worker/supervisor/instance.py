"""The lifecycle of one supervised instance: launch, wait for health, watch, restart."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import aiohttp

from gpustack.engines.base import LaunchSpec
from gpustack.worker.supervisor.backoff import RestartBackoff
from gpustack.worker.supervisor.health import HealthCheck, health_url
from gpustack.worker.supervisor.logs import InstanceLogs, tail
from gpustack.worker.supervisor.process import EngineProcess, build_env
from gpustack.worker.supervisor.settings import SupervisorSettings

logger = logging.getLogger(__name__)

# on_state(instance_id, state, message, restart_count, port)
StateCallback = Callable[[int, str, str, int, int | None], Awaitable[None]]


class EngineState(StrEnum):
    """The engine process states the supervisor reports; each is also an instance state."""

    STARTING = "starting"
    RUNNING = "running"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class InstanceLaunch:
    """What to run for one instance and where."""

    instance_id: int
    spec: LaunchSpec
    gpu_indexes: tuple[int, ...]
    port: int
    name: str
    restart_on_error: bool


class InstanceRunner:
    """Runs one instance until cancelled: one engine process at a time, restarted on failure.

    Cancelling `run()` stops the current engine (SIGTERM, then SIGKILL to its group).
    """

    def __init__(
        self,
        launch: InstanceLaunch,
        settings: SupervisorSettings,
        logs: InstanceLogs,
        session: aiohttp.ClientSession,
        on_state: StateCallback,
    ) -> None:
        self.launch = launch
        self.settings = settings
        self.logs = logs
        self.session = session
        self.on_state = on_state
        self.restart_count = 0
        self.state: EngineState | None = None
        self.message = ""
        self.process: EngineProcess | None = None
        self._backoff = RestartBackoff(settings.backoff_initial_s, settings.backoff_max_s)
        self._url = health_url(settings.host, launch.port, launch.spec.health_path)

    async def run(self) -> None:
        """Launch, watch and restart the engine; returns only when it gave up after an error."""
        while True:
            failure = await self._run_once()
            if not self.launch.restart_on_error:
                await self._report(EngineState.ERROR, failure)
                return
            delay = self._backoff.next_delay()
            attempt = self.restart_count + 1
            await self._report(
                EngineState.ERROR, f"{failure}; restarting in {delay:g} s (attempt {attempt})"
            )
            await asyncio.sleep(delay)
            self.restart_count = attempt

    async def _run_once(self) -> str:
        """One run of the engine; returns why it failed once it did."""
        launch = self.launch
        log_path = await asyncio.to_thread(self.logs.rotate, launch.instance_id)
        settings = self.settings
        env = build_env(
            os.environ,
            launch.spec.env,
            launch.gpu_indexes,
            settings.host_has_gpus,
            settings.gpu_vendor,
        )
        try:
            self.process = await EngineProcess.launch(launch.spec.argv, env, log_path)
        except OSError as exc:
            failure = f"cannot start {launch.name}: {exc}"
            await asyncio.to_thread(_append_line, log_path, failure)
            return failure
        try:
            await self._report(
                EngineState.STARTING, f"starting {launch.name} on port {launch.port}"
            )
            return await self._watch(self.process, log_path)
        finally:
            # Also on cancellation: the engine and whatever it spawned go with the instance.
            await self.process.stop(self.settings.stop_timeout_s)
            self.process = None

    async def _watch(self, process: EngineProcess, log_path: Path) -> str:
        settings = self.settings
        health = HealthCheck(
            self.session,
            self._url,
            settings.health_interval_s,
            settings.health_timeout_s,
            settings.startup_health_interval_s,
        )
        exited = asyncio.create_task(process.wait())
        healthy = asyncio.create_task(health.wait_until_healthy())
        lost: asyncio.Task[str] | None = None
        try:
            await asyncio.wait(
                {exited, healthy},
                timeout=settings.startup_timeout_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if exited.done():
                return await self._exit_message(exited.result(), log_path)
            if not healthy.done():
                return (
                    f"{self.launch.name} not healthy after "
                    f"{settings.startup_timeout_s:g} s at {self._url}"
                )
            if healthy.exception() is not None:
                return f"health check of {self._url} failed: {healthy.exception()!r}"
            await self._report(EngineState.RUNNING, "")
            healthy_since = asyncio.get_running_loop().time()
            lost = asyncio.create_task(health.wait_until_lost(settings.health_failures))
            await asyncio.wait({exited, lost}, return_when=asyncio.FIRST_COMPLETED)
            healthy_for = asyncio.get_running_loop().time() - healthy_since
            if healthy_for >= settings.backoff_reset_after_s:
                self._backoff.reset()
            if exited.done():
                return await self._exit_message(exited.result(), log_path)
            reason = lost.exception() or lost.result()
            return f"health check failed {settings.health_failures} times at {self._url}: {reason}"
        finally:
            await _cancel(exited, healthy, lost)

    async def _exit_message(self, code: int, log_path: Path) -> str:
        if code < 0:
            head = f"{self.launch.name} was killed by signal {_signal_name(-code)}"
        else:
            head = f"{self.launch.name} exited with code {code}"
        lines = await asyncio.to_thread(_last_lines, log_path, self.settings.error_log_lines)
        return f"{head}: " + "\n".join(lines) if lines else head

    async def _report(self, state: EngineState, message: str) -> None:
        self.state = state
        self.message = message
        launch = self.launch
        try:
            await self.on_state(
                launch.instance_id, state.value, message, self.restart_count, launch.port
            )
        except Exception:
            # A failed report (server unreachable) must not stop supervising the engine.
            logger.exception("reporting state %s of instance %s failed", state, launch.instance_id)


async def _cancel(*tasks: asyncio.Task[Any] | None) -> None:
    pending = [task for task in tasks if task is not None and not task.done()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _signal_name(signum: int) -> str:
    try:
        return f"{signum} ({signal.Signals(signum).name})"
    except ValueError:
        return str(signum)


def _last_lines(path: Path, count: int) -> list[str]:
    """The last `count` non-blank lines of a log, for an error message."""
    lines = [line for line in tail(path, count * 4) if line.strip()]
    return lines[-count:] if count > 0 else []


def _append_line(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
