"""Mounted inside the server's FastAPI app at both prefixes, as the server does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.responses import Response

from gpustack.server.gateway import GatewayApp, RouteTable

from .conftest import KEY, PRINCIPALS, SETTINGS, FakeAuthenticator, MemorySink, route
from .standin import StandInUpstream


async def test_both_mounts_reach_the_same_gateway(upstream: StandInUpstream) -> None:
    gateway = GatewayApp(
        SETTINGS, FakeAuthenticator(PRINCIPALS), RouteTable([route("chat", upstream)]), MemorySink()
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.startup()
        yield
        await gateway.shutdown()

    app = FastAPI(lifespan=lifespan)
    app.mount("/v1", gateway)
    app.mount("/v1-openai", gateway)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(gateway.metrics.render(), media_type=gateway.metrics.content_type)

    body = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {KEY}"}
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
            first = await client.post("/v1/chat/completions", json=body, headers=headers)
            second = await client.post("/v1-openai/chat/completions", json=body, headers=headers)
            models = await client.get("/v1-openai/models", headers=headers)
            text = (await client.get("/metrics")).text
    assert first.status_code == second.status_code == 200
    assert [m["id"] for m in models.json()["data"]] == ["chat"]
    assert 'code="200",model="chat",operation="chat.completions"} 2.0' in text
