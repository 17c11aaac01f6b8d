"""Admission through the gateway: a slow engine behind a few slots and a short queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from gpustack.server.gateway import Endpoint, GatewayApp, ModelRoute

from .conftest import KEY, serve
from .standin import StandInUpstream
from .test_app import assert_openai_error

AUTH = {"Authorization": f"Bearer {KEY}"}
CHAT = {"model": "chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


def limited_route(
    upstream: StandInUpstream,
    *limits: int,
    queue: int | None = None,
    wait_s: float | None = None,
) -> ModelRoute:
    """Model 'chat' with one endpoint per limit, all on the same stand-in engine."""
    endpoints = tuple(
        Endpoint(i + 1, upstream.base_url, max_concurrent=limit) for i, limit in enumerate(limits)
    )
    return ModelRoute(
        model_id=1,
        name="chat",
        categories=("llm",),
        backend="llama.cpp",
        endpoints=endpoints,
        max_queue_length=queue,
        max_queue_wait_s=wait_s,
    )


async def test_a_burst_of_four_times_capacity_gets_429_for_the_excess_and_no_5xx(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    upstream.delay_s = 0.6
    app = make_gateway([limited_route(upstream, 1, 1, queue=2)])
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        answers = await asyncio.gather(
            *(client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH) for _ in range(8))
        )
    statuses = sorted(a.status_code for a in answers)
    # Two run, two wait for them; the other four are turned away at once.
    assert statuses == [200] * 4 + [429] * 4
    for answer in answers:
        if answer.status_code == 429:
            assert_openai_error(answer, 429, "queue_full")
            assert int(answer.headers["retry-after"]) >= 1
        else:
            assert answer.json()["choices"][0]["message"]["content"]
    assert upstream.peak_active == 2
    assert len(upstream.seen) == 4


async def test_a_stream_holds_its_slot_until_it_ends(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    upstream.chunks, upstream.chunk_interval_s = 10, 0.05
    app = make_gateway([limited_route(upstream, 1)])
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        stream = client.post(
            url + "/v1/chat/completions", json={**CHAT, "stream": True}, headers=AUTH
        )
        streamed, after = await asyncio.gather(
            stream, client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH)
        )
    assert streamed.status_code == after.status_code == 200
    assert "data: [DONE]" in streamed.text
    assert upstream.peak_active == 1


async def test_a_wait_that_runs_out_is_429_queue_timeout_with_retry_after(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    upstream.delay_s = 1.0
    app = make_gateway([limited_route(upstream, 1, wait_s=0.2)])
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        first = asyncio.create_task(
            client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH)
        )
        await asyncio.sleep(0.1)
        late = await client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH)
        assert_openai_error(late, 429, "queue_timeout")
        assert late.headers["retry-after"] == "1"
        assert (await first).status_code == 200
        metrics = app.metrics.render().decode()
    assert 'gpustack_gateway_queue_rejected_total{model="chat",reason="queue_timeout"} 1.0' in (
        metrics
    )


async def test_a_client_gone_while_waiting_leaves_the_queue(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    upstream.delay_s = 1.0
    app = make_gateway([limited_route(upstream, 1)], disconnect_watch_after_s=0.05)
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        first = asyncio.create_task(
            client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH)
        )
        await asyncio.sleep(0.1)
        async with httpx.AsyncClient(timeout=0.3) as impatient:
            try:
                await impatient.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH)
            except httpx.TimeoutException:
                pass
        gate = app.admission.gate(app.routes.get("chat"))  # type: ignore[arg-type]
        for _ in range(50):
            if gate.waiting == 0:
                break
            await asyncio.sleep(0.02)
        assert gate.waiting == 0
        assert (await first).status_code == 200
    assert gate.in_use == 0
    assert len(upstream.seen) == 1  # the one that left never reached the engine


async def test_more_instances_let_waiting_requests_in_at_once(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    upstream.delay_s = 0.6
    app = make_gateway([limited_route(upstream, 1)])
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        calls = [
            asyncio.create_task(client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH))
            for _ in range(3)
        ]
        await asyncio.sleep(0.2)
        assert upstream.active == 1
        app.routes.replace_all([limited_route(upstream, 1, 1, 1)])  # two replicas come up
        await asyncio.sleep(0.2)
        assert upstream.active == 3
        answers = await asyncio.gather(*calls)
    assert [a.status_code for a in answers] == [200] * 3
