from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gpustack.server.context import ServerContext
from tests.support.app_client import running_app


@pytest.fixture
async def ctx(database_url: str, tmp_path: Path) -> AsyncIterator[ServerContext]:
    """A running server's context on a fresh database (controllers running, no worker)."""
    async with running_app(database_url, tmp_path / "data") as (_, context):
        yield context
