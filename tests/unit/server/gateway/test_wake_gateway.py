"""Sleeping models through the gateway: requests are held while it wakes (one wake for a
burst), streams get keep-alive comments, a wake that takes too long is answered 503, and the
time of the last request reaches the database side."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

import httpx

from gpustack.server.gateway import GatewayApp, ModelRoute, RouteTable

from .conftest import KEY, PRINCIPALS, SETTINGS, FakeAuthenticator, MemorySink, route, serve
from .standin import StandInUpstream
from .test_app import assert_openai_error

AUTH = {"Authorization": f"Bearer {KEY}"}
CHAT = {"model": "chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


class FakeLeader:
    """The database side: a wake brings the model's endpoint after `delay_s`."""

    def __init__(self, routes: RouteTable, awake: ModelRoute | None, delay_s: float) -> None:
        self.routes = routes
        self.awake = awake
        self.delay_s = delay_s
        self.wakes: list[int] = []
        self.touched: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def touch(self, last_request: Mapping[int, float]) -> None:
        self.touched.update(last_request)

    async def wake(self, model_id: int) -> None:
        self.wakes.append(model_id)
        task = asyncio.create_task(self._bring_up())
        self._tasks.add(task)

    async def _bring_up(self) -> None:
        await asyncio.sleep(self.delay_s)
        if self.awake is not None:
            self.routes.replace_all([self.awake])


def _gateway(
    upstream: StandInUpstream, delay_s: float, wake_timeout_s: float = 5.0, woken: bool = True
) -> tuple[GatewayApp, FakeLeader]:
    awake = route("chat", upstream, model_id=1)
    asleep = replace(
        awake, endpoints=(), wakeable=True, sleeping=True, wake_timeout_s=wake_timeout_s
    )
    routes = RouteTable([asleep])
    leader = FakeLeader(routes, awake if woken else None, delay_s)
    settings = replace(SETTINGS, wake_keepalive_s=0.05)
    app = GatewayApp(settings, FakeAuthenticator(PRINCIPALS), routes, MemorySink(), activity=leader)
    return app, leader


async def test_a_burst_for_a_sleeping_model_waits_for_one_wake_and_succeeds(
    upstream: StandInUpstream,
) -> None:
    app, leader = _gateway(upstream, delay_s=0.3)
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        answers = await asyncio.gather(
            *(client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH) for _ in range(10))
        )
        listed = await client.get(url + "/v1/models", headers=AUTH)
    assert [a.status_code for a in answers] == [200] * 10
    assert leader.wakes == [1]
    assert "chat" in {m["id"] for m in listed.json()["data"]}


async def test_a_held_stream_gets_keep_alive_comments_then_the_answer(
    upstream: StandInUpstream,
) -> None:
    app, _ = _gateway(upstream, delay_s=0.3)
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(
            url + "/v1/chat/completions", json={**CHAT, "stream": True}, headers=AUTH
        )
    assert resp.status_code == 200
    assert resp.text.startswith(": waking\n\n")
    assert resp.text.rstrip().endswith("data: [DONE]")


async def test_a_wake_that_takes_too_long_is_503_wake_timeout(
    upstream: StandInUpstream,
) -> None:
    app, _ = _gateway(upstream, delay_s=0.0, wake_timeout_s=0.3, woken=False)
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        plain = await client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH)
        stream = await client.post(
            url + "/v1/chat/completions", json={**CHAT, "stream": True}, headers=AUTH
        )
    assert_openai_error(plain, 503, "wake_timeout")
    # A stream already answered 200 with keep-alives: the error comes as its last event.
    assert stream.status_code == 200
    assert '"code":"wake_timeout"' in stream.text.replace(" ", "")


async def test_the_last_request_time_is_flushed_off_the_request_path(
    upstream: StandInUpstream,
) -> None:
    app, leader = _gateway(upstream, delay_s=0.0)
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        assert (await client.post(url + "/v1/chat/completions", json=CHAT, headers=AUTH)).is_success
        assert leader.touched == {}  # nothing written per request
        await app.activity.flush()
    assert set(leader.touched) == {1}
