"""The real server app with the scheduler's routers, for tests written before app wiring."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import APIRouter
from fastapi.routing import APIRoute

from gpustack.config import Config
from gpustack.server.app import create_app
from gpustack.server.context import ServerContext
from tests.support.app_client import ADMIN_PASSWORD, login


@asynccontextmanager
async def app_with_routers(
    database_url: str, data_dir: Path, *routers: APIRouter
) -> AsyncIterator[tuple[httpx.AsyncClient, ServerContext]]:
    """A logged-in admin client; routers the app lacks go before the UI's catch-all route."""
    config = Config(
        data_dir=data_dir,
        database_url=database_url,
        bootstrap_password=ADMIN_PASSWORD,
        disable_worker=True,
    )
    app = create_app(config)
    present = {r.path for r in app.routes if isinstance(r, APIRoute)}
    for router in routers:
        missing = [r for r in router.routes if isinstance(r, APIRoute) and r.path not in present]
        app.router.routes[:0] = missing
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await login(client)
            yield client, app.state.ctx
