"""Engine differences come from the engine registry, by the backend on a route; the gateway's
code names no engine."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx
import pytest

from gpustack.engines.base import ResponseQuirks
from gpustack.engines.custom import CustomEngine
from gpustack.engines.registry import EngineRegistry, default_registry
from gpustack.server import gateway
from gpustack.server.gateway import GatewayApp, RouteTable

from .conftest import KEY, PRINCIPALS, SETTINGS, FakeAuthenticator, MemorySink, route

AUTH = {"Authorization": f"Bearer {KEY}"}
RERANK = b'{"results":[{"index":0,"relevance_score":0.0},{"index":1,"relevance_score":0.5}]}'
STREAM = (
    b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'
    b'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n'
    b"data: [DONE]\n\n"
)


class LogitsEngine(CustomEngine):
    """An engine, under a name the gateway has never heard of, with both quirks."""

    name = "acme"
    quirks = ResponseQuirks(rerank_scores_are_logits=True, closes_after_stream=True)


class CannedResponse:
    def __init__(self, body: bytes, content_type: str) -> None:
        self.status = 200
        self.content_type = content_type
        self._body = body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        yield self._body

    async def read(self) -> bytes:
        return self._body

    def release(self) -> None:
        pass


class RecordingTransport:
    """Answers rerank and streamed chat from canned bodies; keeps each request's headers."""

    def __init__(self) -> None:
        self.headers: list[Mapping[str, str]] = []

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def send(
        self, url: str, headers: Mapping[str, str], body: bytes, *, stream: bool
    ) -> CannedResponse:
        self.headers.append(dict(headers))
        if url.endswith("/rerank"):
            return CannedResponse(RERANK, "application/json")
        return CannedResponse(STREAM, "text/event-stream")


async def post_each(
    transport: RecordingTransport, path: str, bodies: list[dict[str, object]]
) -> list[httpx.Response]:
    routes = RouteTable(
        [
            route("acme-model", "http://engine:1", model_id=1, backend="acme"),
            route("custom-model", "http://engine:2", model_id=2, backend="custom"),
            route("auto-model", "http://engine:3", model_id=3, backend=""),
        ]
    )
    app = GatewayApp(
        SETTINGS,
        FakeAuthenticator(PRINCIPALS),
        routes,
        MemorySink(),
        transport=transport,
        engines=EngineRegistry([LogitsEngine(), CustomEngine()]),
    )
    await app.startup()
    try:
        client_transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=client_transport, base_url="http://gw") as client:
            return [await client.post("/v1" + path, json=b, headers=AUTH) for b in bodies]
    finally:
        await app.shutdown()


async def test_rerank_scores_are_read_as_logits_where_the_engine_declares_it() -> None:
    bodies: list[dict[str, object]] = [
        {"model": model, "query": "q", "documents": ["a", "b"]}
        for model in ("acme-model", "custom-model")
    ]
    acme, custom = await post_each(RecordingTransport(), "/rerank", bodies)
    scores = [[r["relevance_score"] for r in resp.json()["results"]] for resp in (acme, custom)]
    assert scores[0] == pytest.approx([1 / (1 + math.exp(-0.5)), 0.5])
    assert scores[1] == [0.5, 0.0]  # already 0-1, kept


async def test_streams_ask_to_close_the_connection_where_the_engine_declares_it() -> None:
    transport = RecordingTransport()
    bodies: list[dict[str, object]] = [
        {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
        for model in ("acme-model", "custom-model", "auto-model")
    ]
    answers = await post_each(transport, "/chat/completions", bodies)
    assert all(a.status_code == 200 and "data: [DONE]" in a.text for a in answers)
    connection = [h.get("Connection") for h in transport.headers]
    # A backend left to automatic choice may be any engine: close, which is always safe.
    assert connection == ["close", None, "close"]


def test_the_gateway_code_names_no_engine() -> None:
    names = {"llama", "llamacpp", "llama-box", "vllm", "sglang", *default_registry()}
    names.discard("custom")  # a plain word, also in the gateway's vocabulary
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names)), re.IGNORECASE)
    package = Path(gateway.__file__).parent
    found = {
        f"{path.relative_to(package)}: {match.group(0)}"
        for path in package.rglob("*.py")
        for match in pattern.finditer(path.read_text())
    }
    assert not found
