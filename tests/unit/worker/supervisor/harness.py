"""Helpers for supervisor tests: a fast configuration, a state recorder, the stand-in engine."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from gpustack.engines.base import LaunchSpec
from gpustack.worker.supervisor import SupervisorSettings

STANDIN = Path(__file__).with_name("standin_engine.py")


def standin_spec(port: int | None, *args: str, health_path: str = "/health") -> LaunchSpec:
    """A launch spec running the stand-in engine on `port` (None: it reads $PORT)."""
    argv = [sys.executable, str(STANDIN), "--health-path", health_path, *args]
    if port is not None:
        argv += ["--port", str(port)]
    return LaunchSpec(argv=argv, env={}, health_path=health_path)


def is_gone(pid: int) -> bool:
    """Whether a process no longer runs (a zombie awaiting its reaper counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def wait_until(condition: Callable[[], bool], within_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@dataclass(frozen=True)
class Report:
    instance_id: int
    state: str
    message: str
    restart_count: int
    port: int | None


class StateLog:
    """Records every on_state call so tests can wait for a state."""

    def __init__(self) -> None:
        self.reports: list[Report] = []

    async def __call__(
        self, instance_id: int, state: str, message: str, restart_count: int, port: int | None
    ) -> None:
        self.reports.append(Report(instance_id, state, message, restart_count, port))

    def states(self) -> list[tuple[str, int]]:
        return [(report.state, report.restart_count) for report in self.reports]

    async def wait_for(
        self, state: str, restart_count: int | None = None, within_s: float = 10.0
    ) -> Report:
        def found() -> Report | None:
            for report in self.reports:
                if report.state == state and restart_count in (None, report.restart_count):
                    return report
            return None

        await wait_until(lambda: found() is not None, within_s)
        report = found()
        assert report is not None
        return report


FAST = SupervisorSettings(
    health_interval_s=0.05,
    health_timeout_s=1.0,
    health_failures=2,
    startup_timeout_s=15.0,
    stop_timeout_s=2.0,
    backoff_initial_s=0.1,
    backoff_max_s=0.4,
)
