"""Instance choice: least outstanding requests, prefix affinity, retry on refused connections."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from gpustack.server.gateway import Balancer, Endpoint, GatewayApp

from .conftest import KEY, route, serve
from .standin import StandInUpstream, unused_port

AUTH = {"Authorization": f"Bearer {KEY}"}
BODY = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
A, B, C = (Endpoint(i, f"http://10.0.0.{i}:1") for i in (1, 2, 3))


@pytest.fixture
async def two() -> AsyncIterator[tuple[StandInUpstream, StandInUpstream]]:
    first, second = StandInUpstream(), StandInUpstream()
    await first.start()
    await second.start()
    yield first, second
    await first.stop()
    await second.stop()


async def test_concurrent_requests_spread_evenly(
    two: tuple[StandInUpstream, StandInUpstream], make_gateway: Callable[..., GatewayApp]
) -> None:
    first, second = two
    first.delay_s = second.delay_s = 0.2
    app = make_gateway([route("chat", first, second)])
    async with serve(app) as url, httpx.AsyncClient() as client:
        replies = await asyncio.gather(
            *(client.post(url + "/v1/chat/completions", json=BODY, headers=AUTH) for _ in range(20))
        )
    assert all(r.status_code == 200 for r in replies)
    assert abs(len(first.seen) - len(second.seen)) <= 4
    assert first.peak_active <= 12 and second.peak_active <= 12


async def test_slow_instance_gets_fewer_requests(
    two: tuple[StandInUpstream, StandInUpstream], make_gateway: Callable[..., GatewayApp]
) -> None:
    slow, fast = two
    slow.delay_s, fast.delay_s = 0.3, 0.01
    app = make_gateway([route("chat", slow, fast)])

    async def worker(client: httpx.AsyncClient, url: str) -> None:
        deadline = asyncio.get_running_loop().time() + 1.0
        while asyncio.get_running_loop().time() < deadline:
            r = await client.post(url + "/v1/chat/completions", json=BODY, headers=AUTH)
            assert r.status_code == 200

    async with serve(app) as url, httpx.AsyncClient() as client:
        await asyncio.gather(*(worker(client, url) for _ in range(4)))
    assert len(fast.seen) >= 3 * len(slow.seen)


async def test_refused_connection_is_retried_on_another_instance(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    dead = f"http://127.0.0.1:{unused_port()}"
    app = make_gateway([route("chat", dead, upstream)])
    async with serve(app) as url, httpx.AsyncClient() as client:
        replies = [
            await client.post(url + "/v1/chat/completions", json=BODY, headers=AUTH)
            for _ in range(6)
        ]
    assert [r.status_code for r in replies] == [200] * 6
    assert len(upstream.seen) == 6


def test_least_outstanding_prefers_the_idle_instance_and_breaks_ties_at_random() -> None:
    balancer = Balancer(rng=random.Random(7))
    balancer.acquire(A)
    assert balancer.pick([A, B]) is B
    balancer.release(A)
    picks = Counter(balancer.pick([A, B]) for _ in range(200))
    assert picks[A] > 50 and picks[B] > 50
    assert balancer.pick([A, B], exclude={2}) is A
    assert balancer.pick([A], exclude={1}) is None


def test_prefix_affinity_sticks_to_one_instance_until_it_is_overloaded() -> None:
    balancer = Balancer(load_factor=1.25)
    key = b"You are a helpful assistant. " * 20
    home = balancer.pick([A, B, C], affinity_key=key)
    assert all(balancer.pick([A, B, C], affinity_key=key) is home for _ in range(20))
    homes = {balancer.pick([A, B, C], affinity_key=f"prompt {i}".encode()) for i in range(50)}
    assert homes == {A, B, C}
    # Pile load on the home instance: the bound moves the request elsewhere.
    assert home is not None
    for _ in range(4):
        balancer.acquire(home)
    assert balancer.pick([A, B, C], affinity_key=key) is not home
