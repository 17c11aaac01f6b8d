"""Fixtures: a stand-in engine, a fake key store, and the gateway served by uvicorn."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

import pytest
import uvicorn

from gpustack.schemas.api_keys import KeyScope
from gpustack.server.gateway import (
    Endpoint,
    GatewayApp,
    GatewaySettings,
    ModelRoute,
    RouteTable,
    UsageRecord,
)
from gpustack.server.security.principal import KeyLimits, Principal

from .standin import StandInUpstream

KEY = "gpustack_0123456789abcdef_" + "0" * 32
MGMT_KEY = "gpustack_management_only"
LIMITED_KEY = "gpustack_only_chat_model"
RATE_KEY = "gpustack_two_per_minute"

PRINCIPALS = {
    KEY: Principal(user_id=1, username="admin", is_admin=True, api_key_id=10),
    MGMT_KEY: Principal(
        user_id=1, username="admin", is_admin=True, api_key_id=11, scope=KeyScope.MANAGEMENT
    ),
    LIMITED_KEY: Principal(
        user_id=2,
        username="bob",
        is_admin=False,
        api_key_id=12,
        scope=KeyScope.INFERENCE,
        allowed_model_names=frozenset({"chat"}),
    ),
    RATE_KEY: Principal(
        user_id=3,
        username="carol",
        is_admin=False,
        api_key_id=13,
        limits=KeyLimits(requests_per_minute=2),
    ),
}


class FakeAuthenticator:
    """Resolves the keys above from a Bearer or X-API-Key header."""

    def __init__(self, principals: Mapping[str, Principal]) -> None:
        self.principals = dict(principals)

    async def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
        auth = headers.get("authorization", "")
        key = auth[7:] if auth.lower().startswith("bearer ") else headers.get("x-api-key", "")
        return self.principals.get(key)


@dataclass
class MemorySink:
    records: list[UsageRecord] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def write(self, records: Sequence[UsageRecord]) -> None:
        self.records.extend(records)
        self.batches.append(len(records))
        self.arrived.set()


@asynccontextmanager
async def serve(app: GatewayApp) -> AsyncIterator[str]:
    """Serve the ASGI app with uvicorn on a free loopback port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes only a flag
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def route(
    name: str,
    *upstreams: StandInUpstream | str,
    model_id: int = 1,
    categories: tuple[str, ...] = ("llm",),
    backend: str = "llama.cpp",
    capabilities: tuple[str, ...] = (),
) -> ModelRoute:
    endpoints = tuple(
        Endpoint(i + 1, u if isinstance(u, str) else u.base_url, {"X-Worker-Token": "w"})
        for i, u in enumerate(upstreams)
    )
    return ModelRoute(
        model_id=model_id,
        name=name,
        categories=categories,
        backend=backend,
        endpoints=endpoints,
        capabilities=capabilities,
        context_length=8192,
        created_at=1700000000,
    )


@dataclass
class Harness:
    url: str
    app: GatewayApp
    upstream: StandInUpstream
    sink: MemorySink

    @property
    def v1(self) -> str:
        return self.url + "/v1"


SETTINGS = GatewaySettings(
    total_timeout_s=3.0, stream_idle_timeout_s=1.0, usage_flush_interval_s=0.05
)


@pytest.fixture
async def upstream() -> AsyncIterator[StandInUpstream]:
    stand_in = StandInUpstream()
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
def make_gateway() -> Callable[..., GatewayApp]:
    def make(routes: Sequence[ModelRoute], **settings: object) -> GatewayApp:
        return GatewayApp(
            replace(SETTINGS, **settings),  # type: ignore[arg-type]
            FakeAuthenticator(PRINCIPALS),
            RouteTable(routes),
            MemorySink(),
        )

    return make


@pytest.fixture
async def gw(upstream: StandInUpstream) -> AsyncIterator[Harness]:
    """Gateway with models 'chat' (text), 'vlm' (vision), 'embed', 'rerank', 'whisper',
    'tts', 'sd' on one stand-in engine, and 'idle' with no running instance."""
    sink = MemorySink()
    routes = RouteTable(
        [
            route("chat", upstream, model_id=1),
            route("vlm", upstream, model_id=2, capabilities=("vision",)),
            route("embed", upstream, model_id=3, categories=("embedding",)),
            route("rerank", upstream, model_id=4, categories=("reranker",)),
            route("whisper", upstream, model_id=5, categories=("speech_to_text",)),
            route("tts", upstream, model_id=6, categories=("text_to_speech",)),
            route("sd", upstream, model_id=7, categories=("image",)),
            route("idle", model_id=8),
        ]
    )
    app = GatewayApp(SETTINGS, FakeAuthenticator(PRINCIPALS), routes, sink)
    async with serve(app) as url:
        yield Harness(url, app, upstream, sink)
