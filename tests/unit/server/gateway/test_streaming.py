"""Server-sent events: relayed as they come, always ending with usage and [DONE]."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import openai

from gpustack.server.gateway import GatewayApp
from gpustack.server.gateway.streaming import SseRelay

from .conftest import KEY, Harness, route, serve
from .standin import StandInUpstream

AUTH = {"Authorization": f"Bearer {KEY}"}
CHAT = {"model": "chat", "stream": True, "messages": [{"role": "user", "content": "hi"}]}


async def read_events(url: str, body: dict[str, Any]) -> tuple[httpx.Response, list[str]]:
    async with httpx.AsyncClient() as client:
        r = await client.post(url, json=body, headers=AUTH)
    # Dify's parser: split on exactly "\n\n", every piece a single "data:" line.
    pieces = r.text.split("\n\n")
    assert pieces[-1] == ""
    for piece in pieces[:-1]:
        assert piece.startswith("data: ") and "\n" not in piece
    return r, [p[len("data: ") :] for p in pieces[:-1]]


async def test_stream_gets_usage_event_and_done_without_stream_options(gw: Harness) -> None:
    r, events = await read_events(gw.v1 + "/chat/completions", CHAT)
    assert r.headers["content-type"] == "text/event-stream"
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == 3
    chunks = [json.loads(e) for e in events[:-2]]
    assert all("choices" in c for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "tok0 tok1 tok2 "
    assert gw.upstream.seen[-1].json == {**CHAT, "stream_options": {"include_usage": True}}


async def test_sdk_stream_receives_usage(gw: Harness) -> None:
    client = openai.AsyncOpenAI(base_url=gw.v1, api_key=KEY)
    stream = await client.completions.create(model="chat", prompt="hi", stream=True)
    texts: list[str] = []
    usage = None
    async for chunk in stream:
        texts.extend(c.text for c in chunk.choices)
        usage = chunk.usage or usage
    assert "".join(texts) == "tok0 tok1 tok2 "
    assert usage is not None and usage.prompt_tokens == 7


async def test_client_that_declined_usage_gets_none_but_it_is_still_counted(
    gw: Harness,
) -> None:
    body = {**CHAT, "stream_options": {"include_usage": False}}
    _, events = await read_events(gw.v1 + "/chat/completions", body)
    assert not any('"usage"' in e for e in events)
    assert gw.upstream.seen[-1].json["stream_options"] == {"include_usage": True}  # type: ignore[index]
    await asyncio.wait_for(gw.sink.arrived.wait(), 2)
    assert gw.sink.records[-1].completion_tokens == 3


async def test_engine_without_stream_usage_still_ends_with_usage(gw: Harness) -> None:
    gw.upstream.usage_in_stream = False
    _, events = await read_events(gw.v1 + "/chat/completions", CHAT)
    assert events[-1] == "[DONE]"
    usage = json.loads(events[-2])
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] > 0


async def test_events_are_relayed_before_the_engine_finishes(gw: Harness) -> None:
    gw.upstream.chunks, gw.upstream.chunk_interval_s = 5, 0.2
    async with (
        httpx.AsyncClient() as client,
        client.stream("POST", gw.v1 + "/chat/completions", json=CHAT, headers=AUTH) as r,
    ):
        async for line in r.aiter_lines():
            if line.startswith("data: "):
                break
        assert gw.upstream.active == 1  # the engine is still generating


async def test_client_disconnect_cancels_the_engine_request(gw: Harness) -> None:
    gw.upstream.chunks, gw.upstream.chunk_interval_s = 200, 0.02
    async with httpx.AsyncClient() as client:
        async with client.stream("POST", gw.v1 + "/chat/completions", json=CHAT, headers=AUTH) as r:
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    break
    await asyncio.wait_for(gw.upstream.stream_cancelled.wait(), 3)
    await asyncio.wait_for(gw.sink.arrived.wait(), 2)
    assert gw.sink.records[-1].status_code == 499


async def test_engine_going_silent_mid_stream_ends_with_an_error_event(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    upstream.chunks, upstream.chunk_interval_s = 3, 0.6
    app = make_gateway([route("chat", upstream)], stream_idle_timeout_s=0.2)
    async with serve(app) as url:
        _, events = await read_events(url + "/v1/chat/completions", CHAT)
    error = json.loads(events[-1])["error"]
    assert error["code"] == "upstream_timeout" and "choices" not in json.loads(events[-1])


def test_relay_holds_only_partial_events_and_rewrites_crlf() -> None:
    relay = SseRelay()
    first = b'data: {"choices":[{"delta":{"content":"a"}}]}\r\n\r\ndata: {"choi'
    assert relay.feed(first) == b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n'
    assert relay.first_token_seen
    out = relay.feed(
        b'ces":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\ndata: [DONE]\n\n'
    )
    assert out.endswith(b"data: [DONE]\n\n") and out.count(b"usage") == 1
    assert relay.usage == {"prompt_tokens": 1, "completion_tokens": 1}


async def test_streams_to_llama_cpp_close_their_connection_others_keep_it(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    """llama.cpp drops a kept-alive connection after a stream; reusing it would fail the next
    request. Other engines keep their pooled connections."""
    app = make_gateway([route("gguf", upstream, model_id=1), route("vllm-model", upstream,
                        model_id=2, backend="vllm")])  # fmt: skip
    async with serve(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            for model in ("gguf", "vllm-model"):
                body = {"model": model, "messages": [{"role": "user", "content": "hi"}],
                        "stream": True}  # fmt: skip
                resp = await client.post("/v1/chat/completions", json=body, headers=AUTH)
                assert resp.status_code == 200
    connection = [seen.headers.get("Connection", "").lower() for seen in upstream.seen]
    assert connection[0] == "close" and connection[1] != "close"  # HTTP/1.1: kept alive
