"""Fixtures for engine tests: the offline models and a launcher process on a loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.launcher_process import LauncherProcess, start_launcher_process


@pytest.fixture
def start_launcher(tmp_path: Path) -> Iterator[Callable[..., LauncherProcess]]:
    """Start launchers with the given flags; they are killed at teardown."""
    started: list[LauncherProcess] = []

    def start(*args: str) -> LauncherProcess:
        launched = start_launcher_process(tmp_path / f"launcher-{len(started)}.log", *args)
        started.append(launched)
        return launched

    yield start
    for launched in started:
        if launched.process.poll() is None:
            launched.process.kill()
            launched.process.wait(timeout=10)
