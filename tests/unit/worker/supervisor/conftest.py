"""Fixtures for supervisor tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gpustack.worker.supervisor import PortAllocator, Supervisor

from .harness import FAST, StateLog


@pytest.fixture
def ports() -> PortAllocator:
    return PortAllocator(47300, 47363, host="127.0.0.1")


@pytest.fixture
def state_log() -> StateLog:
    return StateLog()


@pytest.fixture
async def supervisor(
    tmp_path: Path, ports: PortAllocator, state_log: StateLog
) -> AsyncIterator[Supervisor]:
    async with Supervisor(tmp_path, ports, FAST, state_log) as sup:
        yield sup
