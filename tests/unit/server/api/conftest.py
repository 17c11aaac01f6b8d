from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gpustack.server.context import ServerContext
from tests.support.app_client import login, running_app


@pytest.fixture
async def server(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, ServerContext]]:
    async with running_app(database_url, tmp_path / "data") as pair:
        yield pair


@pytest.fixture
async def client(server: tuple[httpx.AsyncClient, ServerContext]) -> httpx.AsyncClient:
    return server[0]


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await login(client)
    return client


@pytest.fixture
async def user_key(admin: httpx.AsyncClient) -> str:
    """An API key of a plain (non-admin) user named alice."""
    resp = await admin.post("/v2/users", json={"username": "alice", "password": "alice-pass-1"})
    assert resp.status_code == 201, resp.text
    transport = admin._transport
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as alice:
        await login(alice, "alice", "alice-pass-1")
        resp = await alice.post("/v2/api-keys", json={"name": "alice-key"})
        assert resp.status_code == 201
        value: str = resp.json()["value"]
        return value
