"""Path → operation: the APIs served, their names in usage records, and room for new ones."""

from __future__ import annotations

from typing import Any

import httpx

from gpustack.server.gateway import GatewayApp, RouteTable, UpstreamRequest, default_operations
from gpustack.server.gateway.call import Call
from gpustack.server.gateway.jsonio import dumps
from gpustack.server.gateway.operations import JsonOperation, Operation

from ..conftest import KEY, PRINCIPALS, SETTINGS, FakeAuthenticator, MemorySink, route

AUTH = {"Authorization": f"Bearer {KEY}"}


def test_every_api_is_served_under_its_usage_name() -> None:
    names = {path: op.name for path, op in default_operations().items()}
    assert names == {
        "/chat/completions": "chat.completions",
        "/completions": "completions",
        "/embeddings": "embeddings",
        "/rerank": "rerank",
        "/images/generations": "images.generations",
        "/images/edits": "images.edits",
        "/audio/speech": "audio.speech",
        "/audio/transcriptions": "audio.transcriptions",
        "/audio/translations": "audio.translations",
        "/messages": "messages",
        "/messages/count_tokens": "messages.count_tokens",
        "/responses": "responses",
    }
    translated = {"/messages", "/messages/count_tokens", "/responses"}
    upstream = {path: op.upstream_path for path, op in default_operations().items()}
    assert all(upstream[path] == "/v1" + path for path in upstream.keys() - translated)
    # The agents' APIs are served by the engines' chat completions.
    assert upstream["/messages"] == upstream["/responses"] == "/v1/chat/completions"


class CountBytes(JsonOperation):
    """A made-up API answered by the gateway itself."""

    path = "/count_bytes"
    name = "count_bytes"
    upstream_path = "/v1/count_bytes"

    def prepare(self, call: Call) -> UpstreamRequest:
        return UpstreamRequest(call.body, answer=dumps({"bytes": len(call.body)}))


async def test_a_new_operation_is_served_with_auth_and_usage_like_the_others() -> None:
    operations: dict[str, Operation[Any]] = {**default_operations(), "/count_bytes": CountBytes()}
    sink = MemorySink()
    app = GatewayApp(
        SETTINGS,
        FakeAuthenticator(PRINCIPALS),
        RouteTable([route("chat")]),
        sink,
        operations=operations,
    )
    await app.startup()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            body = b'{"model":"chat"}'
            counted = await client.post("/v1/count_bytes", content=body, headers=AUTH)
            anonymous = await client.post("/v1/count_bytes", content=body)
    finally:
        await app.shutdown()
    assert counted.status_code == 200 and counted.json() == {"bytes": len(body)}
    assert anonymous.status_code == 401
    assert [(r.operation, r.model_name, r.status_code) for r in sink.records] == [
        ("count_bytes", "chat", 200)
    ]
