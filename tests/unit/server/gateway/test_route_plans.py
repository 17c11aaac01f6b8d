"""Model routes through the gateway: failover between targets, provider fallbacks and keys."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from cryptography.fernet import Fernet

from gpustack.schemas.providers import Provider
from gpustack.server.controllers.route_sync import provider_headers, provider_route
from gpustack.server.gateway import Endpoint, GatewayApp, ModelRoute, RouteTable
from gpustack.server.gateway.routes import PlanTarget, RoutePlan
from gpustack.server.security.secret_box import SecretBox

from .conftest import KEY, PRINCIPALS, SETTINGS, FakeAuthenticator, MemorySink, serve
from .standin import StandInUpstream

PROVIDER_KEY = "sk-provider-secret-0123456789"
CONNECTION = frozenset({"connection"})


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def deployment(name: str, model_id: int, base_url: str) -> ModelRoute:
    return ModelRoute(model_id, name, ("llm",), "llama.cpp", (Endpoint(model_id, base_url),))


def provider_target(upstream: StandInUpstream, on: frozenset[str]) -> PlanTarget:
    provider = Provider(id=1, name="standin", base_url=upstream.base_url + "/v1")
    box = SecretBox(Fernet.generate_key())
    provider.api_key_encrypted = box.seal(PROVIDER_KEY)
    route = provider_route(provider, "upstream-model", provider_headers(provider, box))
    return PlanTarget(key="provider:standin/upstream-model", provider=route, weight=0, on=on)


@pytest.fixture
async def second() -> AsyncIterator[StandInUpstream]:
    stand_in = StandInUpstream()
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


async def chat(url: str, model: str, stream: bool = False) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        return await client.post(
            "/v1/chat/completions",
            json={
                "model": model,
                "messages": [{"role": "user", "content": "hi"}],
                "stream": stream,
            },
            headers={"Authorization": f"Bearer {KEY}"},
        )


async def test_an_unreachable_target_hands_its_requests_to_the_other(
    upstream: StandInUpstream,
) -> None:
    targets = (
        PlanTarget(key="model:down", model="down", weight=1, on=CONNECTION),
        PlanTarget(key="model:up", model="up", weight=1, on=CONNECTION),
    )
    table = RouteTable(
        [deployment("down", 1, closed_port_url()), deployment("up", 2, upstream.base_url)],
        [RoutePlan(1, "public", targets)],
    )
    sink = MemorySink()
    app = GatewayApp(SETTINGS, FakeAuthenticator(PRINCIPALS), table, sink)
    async with serve(app) as url:
        answers = [await chat(url, "public") for _ in range(20)]
        await sink.arrived.wait()
    assert [r.status_code for r in answers] == [200] * 20
    # The engine is told its own deployment's name, not the route's.
    assert {seen.json["model"] for seen in upstream.seen if seen.json} == {"up"}
    assert {r.model_name for r in sink.records} == {"public"}
    # The failing target cooled down: later requests went straight to the other one.
    assert not app.planner.health.available("model:down", time.monotonic())


async def test_a_429_falls_back_to_the_provider_with_its_key_not_the_callers(
    upstream: StandInUpstream, second: StandInUpstream
) -> None:
    upstream.status = 429
    table = RouteTable(
        [deployment("local", 1, upstream.base_url)],
        [
            RoutePlan(
                1,
                "public",
                (PlanTarget(key="model:local", model="local", weight=1, on=CONNECTION),),
                (provider_target(second, frozenset({"429"})),),
            )
        ],
    )
    app = GatewayApp(SETTINGS, FakeAuthenticator(PRINCIPALS), table, MemorySink())
    async with serve(app) as url:
        plain = await chat(url, "public")
        streamed = await chat(url, "public", stream=True)
    assert plain.status_code == 200 and streamed.status_code == 200
    assert streamed.text.rstrip().endswith("data: [DONE]")
    seen = second.seen[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.json is not None and seen.json["model"] == "upstream-model"
    assert seen.headers["Authorization"] == f"Bearer {PROVIDER_KEY}"
    assert all(KEY not in value for s in second.seen for value in s.headers.values())


async def test_a_failure_no_fallback_takes_is_answered_as_it_came(
    upstream: StandInUpstream, second: StandInUpstream
) -> None:
    upstream.status = 500
    table = RouteTable(
        [deployment("local", 1, upstream.base_url)],
        [
            RoutePlan(
                1,
                "public",
                (PlanTarget(key="model:local", model="local", weight=1, on=CONNECTION),),
                (provider_target(second, frozenset({"429"})),),
            )
        ],
    )
    app = GatewayApp(SETTINGS, FakeAuthenticator(PRINCIPALS), table, MemorySink())
    async with serve(app) as url:
        answer = await chat(url, "public")
    assert answer.status_code == 500
    assert not second.seen


async def test_models_lists_route_names_with_deployments(upstream: StandInUpstream) -> None:
    table = RouteTable(
        [deployment("local", 1, upstream.base_url)],
        [RoutePlan(1, "public", (PlanTarget(key="model:local", model="local", on=CONNECTION),))],
    )
    app = GatewayApp(SETTINGS, FakeAuthenticator(PRINCIPALS), table, MemorySink())
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        listed = await client.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"})
        one = await client.get("/v1/models/public", headers={"Authorization": f"Bearer {KEY}"})
    assert [m["id"] for m in listed.json()["data"]] == ["local", "public"]
    assert one.status_code == 200 and one.json()["id"] == "public"


@pytest.fixture
async def breaks_mid_stream() -> AsyncIterator[str]:
    """An engine that sends one chunk of a stream, then drops the connection."""

    async def chat(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = {"choices": [{"index": 0, "delta": {"content": "first"}}]}
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        assert request.transport is not None
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_stream_never_switches_target_once_bytes_went_out(
    breaks_mid_stream: str, second: StandInUpstream
) -> None:
    everything = frozenset({"connection", "429", "5xx", "timeout", "context_length"})
    table = RouteTable(
        [deployment("flaky", 1, breaks_mid_stream), deployment("spare", 2, second.base_url)],
        [
            RoutePlan(
                1,
                "public",
                (PlanTarget(key="model:flaky", model="flaky", weight=1, on=CONNECTION),),
                (PlanTarget(key="model:spare", model="spare", weight=0, on=everything),),
            )
        ],
    )
    app = GatewayApp(SETTINGS, FakeAuthenticator(PRINCIPALS), table, MemorySink())
    async with serve(app) as url:
        streamed = await chat(url, "public", stream=True)
    assert streamed.status_code == 200
    assert "first" in streamed.text and '"error"' in streamed.text
    assert not second.seen
