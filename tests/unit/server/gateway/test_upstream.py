"""The transport seam: a gateway driven without any network, and stale-connection retries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import httpx

from gpustack.server.gateway import GatewayApp, RouteTable, UpstreamConnectError

from .conftest import KEY, PRINCIPALS, SETTINGS, FakeAuthenticator, MemorySink, route

ANSWER = (
    b'{"object":"chat.completion","choices":[{"message":{"content":"hi"}}],'
    b'"usage":{"prompt_tokens":1,"completion_tokens":1}}'
)


class CannedResponse:
    status = 200
    content_type = "application/json"

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        yield ANSWER

    async def read(self) -> bytes:
        return ANSWER

    def release(self) -> None:
        pass


class FlakyTransport:
    """Fails the first `drops` sends as a dropped keep-alive connection, then answers."""

    def __init__(self, drops: int) -> None:
        self.drops = drops
        self.urls: list[str] = []

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def send(
        self, url: str, headers: Mapping[str, str], body: bytes, *, stream: bool
    ) -> CannedResponse:
        self.urls.append(url)
        if len(self.urls) <= self.drops:
            raise UpstreamConnectError("Server disconnected", refused=False)
        return CannedResponse()


async def post(transport: FlakyTransport) -> httpx.Response:
    app = GatewayApp(
        SETTINGS,
        FakeAuthenticator(PRINCIPALS),
        RouteTable([route("chat", "http://engine:1")]),
        MemorySink(),
        transport=transport,
    )
    await app.startup()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw"
        ) as client:
            return await client.post(
                "/v1/chat/completions",
                json={"model": "chat", "messages": []},
                headers={"Authorization": f"Bearer {KEY}"},
            )
    finally:
        await app.shutdown()


async def test_dropped_connection_is_retried_once_on_the_same_instance() -> None:
    transport = FlakyTransport(drops=1)
    r = await post(transport)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "hi"
    assert transport.urls == ["http://engine:1/v1/chat/completions"] * 2


async def test_an_instance_that_keeps_dropping_is_given_up() -> None:
    transport = FlakyTransport(drops=5)
    r = await post(transport)
    assert r.status_code == 503 and len(transport.urls) == 2
