"""An in-process server (real app, real database) driven through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from gpustack.config import Config
from gpustack.server.app import create_app
from gpustack.server.context import ServerContext

ADMIN_PASSWORD = "Admin-pass-123"


@asynccontextmanager
async def running_app(
    database_url: str, data_dir: Path, **overrides: object
) -> AsyncIterator[tuple[httpx.AsyncClient, ServerContext]]:
    config = Config(
        data_dir=data_dir,
        database_url=database_url,
        bootstrap_password=ADMIN_PASSWORD,
        disable_worker=True,
        **overrides,  # type: ignore[arg-type]
    )
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, app.state.ctx


async def login(
    client: httpx.AsyncClient, username: str = "admin", password: str = ADMIN_PASSWORD
) -> None:
    resp = await client.post("/auth/login", data={"username": username, "password": password})
    assert resp.status_code == 200, resp.text


async def create_key(client: httpx.AsyncClient, name: str = "key", **fields: object) -> str:
    resp = await client.post("/v2/api-keys", json={"name": name, **fields})
    assert resp.status_code == 201, resp.text
    value: str = resp.json()["value"]
    return value
