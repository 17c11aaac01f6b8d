"""Anthropic's Messages API through the gateway, with the `anthropic` SDK, on a stand-in engine."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import pytest

from ..conftest import KEY, MGMT_KEY, RATE_KEY, Harness

TOOLS: list[anthropic.types.ToolParam] = [
    {
        "name": "get_weather",
        "description": "The weather in a city.",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"


def sdk(gw: Harness, key: str = KEY) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=gw.url, api_key=key, max_retries=0)


def sse_events(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def assert_anthropic_error(response: httpx.Response, status: int, type_: str) -> None:
    assert response.status_code == status, response.text
    doc = response.json()
    assert doc["type"] == "error" and set(doc["error"]) == {"type", "message"}
    assert doc["error"]["type"] == type_ and doc["error"]["message"]


async def test_a_message_is_answered_from_the_engines_chat_completion(gw: Harness) -> None:
    reply = await sdk(gw).messages.create(
        model="chat",
        max_tokens=3,
        system=[{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}],
        messages=[{"role": "user", "content": "ping"}],
        stop_sequences=["\n\n"],
        output_config={"format": {"type": "json_schema", "schema": {"type": "object"}}},
        extra_body={"temperature": 0.2, "top_k": 5},  # older API fields, still read
    )
    assert reply.type == "message" and reply.role == "assistant" and reply.model == "chat"
    assert reply.id.startswith("msg_")
    assert [block.type for block in reply.content] == ["text"]
    assert reply.content[0].text == "pong pong pong "  # type: ignore[union-attr]
    assert reply.stop_reason == "max_tokens"  # the engine's finish_reason "length"
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (7, 3)

    seen = gw.upstream.seen[-1]
    assert seen.path == "/v1/chat/completions"
    assert seen.json == {
        "model": "chat",
        "messages": [
            {"role": "system", "content": "Be brief.\n\nBe kind."},
            {"role": "user", "content": "ping"},
        ],
        "max_tokens": 3,
        "temperature": 0.2,
        "top_k": 5,
        "stop": ["\n\n"],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": {"type": "object"}},
        },
    }
    # The client's key stays at the gateway; the Anthropic headers go no further either.
    assert "x-api-key" not in {h.lower() for h in seen.headers}
    assert "anthropic-version" not in {h.lower() for h in seen.headers}

    await gw.sink.arrived.wait()
    record = gw.sink.records[-1]
    assert (record.operation, record.model_name, record.total_tokens) == ("messages", "chat", 10)


async def test_bearer_keys_work_and_anthropic_version_is_ignored(gw: Harness) -> None:
    body = {"model": "chat", "max_tokens": 2, "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient() as client:
        bearer = await client.post(
            gw.v1 + "/messages",
            json=body,
            headers={"Authorization": f"Bearer {KEY}", "anthropic-version": "2099-01-01"},
        )
        other_prefix = await client.post(
            gw.url + "/v1-openai/messages", json=body, headers={"x-api-key": KEY}
        )
    assert bearer.status_code == other_prefix.status_code == 200
    assert bearer.json()["content"] == [{"type": "text", "text": "pong pong "}]


async def test_streamed_text_arrives_as_deltas_and_the_final_message_has_usage(
    gw: Harness,
) -> None:
    async with sdk(gw).messages.stream(
        model="chat", max_tokens=10, messages=[{"role": "user", "content": "ping"}]
    ) as stream:
        texts = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert texts == ["tok0 ", "tok1 ", "tok2 "]
    assert final.content[0].text == "tok0 tok1 tok2 "  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (7, 3)
    assert gw.upstream.seen[-1].json["stream_options"] == {"include_usage": True}  # type: ignore[index]

    body = {"model": "chat", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    async with httpx.AsyncClient() as client:
        raw = await client.post(gw.v1 + "/messages", json=body, headers={"x-api-key": KEY})
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = sse_events(raw.text)
    assert [name for name, _ in events] == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(doc["type"] == name for name, doc in events)
    assert events[0][1]["message"]["usage"]["output_tokens"] == 0
    assert events[3][1]["delta"] == {"type": "text_delta", "text": "tok0 "}
    assert events[-2][1]["usage"] == {"input_tokens": 7, "output_tokens": 3}


async def test_an_engine_answering_a_stream_request_whole_still_gives_events(
    gw: Harness,
) -> None:
    gw.upstream.ignore_stream = True
    async with sdk(gw).messages.stream(
        model="chat", max_tokens=2, messages=[{"role": "user", "content": "ping"}]
    ) as stream:
        texts = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert texts == ["pong pong "]
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 2


async def test_a_tool_call_becomes_tool_use_and_its_result_a_tool_message(gw: Harness) -> None:
    gw.upstream.tool_call = ("get_weather", '{"city": "Paris"}')
    client = sdk(gw)
    messages: list[anthropic.types.MessageParam] = [
        {"role": "user", "content": "Weather in Paris?"}
    ]
    reply = await client.messages.create(
        model="chat",
        max_tokens=50,
        messages=messages,
        tools=TOOLS,
        tool_choice={"type": "any", "disable_parallel_tool_use": True},
    )
    assert reply.stop_reason == "tool_use"
    (call,) = reply.content
    assert call.type == "tool_use" and call.name == "get_weather"
    assert call.input == {"city": "Paris"} and call.id == "call_1"
    sent = gw.upstream.seen[-1].json
    assert sent is not None
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": TOOLS[0]["input_schema"],
                "description": "The weather in a city.",
            },
        }
    ]
    assert sent["tool_choice"] == "required" and sent["parallel_tool_calls"] is False

    # The round trip: the tool_use turn and the tool_result go back as chat messages.
    gw.upstream.tool_call = None
    messages.append({"role": "assistant", "content": reply.content})  # type: ignore[typeddict-item]
    messages.append(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": call.id, "content": "Sunny, 21 C"},
                {"type": "text", "text": "Thanks. And tomorrow?"},
            ],
        }
    )
    second = await client.messages.create(
        model="chat", max_tokens=2, messages=messages, tools=TOOLS
    )
    assert second.content[0].type == "text"
    sent = gw.upstream.seen[-1].json
    assert sent is not None
    assert sent["messages"][1:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"},
        {"role": "user", "content": "Thanks. And tomorrow?"},
    ]


async def test_a_streamed_tool_call_arrives_as_input_json_deltas(gw: Harness) -> None:
    gw.upstream.tool_call = ("get_weather", '{"city": "Paris"}')
    async with sdk(gw).messages.stream(
        model="chat",
        max_tokens=50,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=TOOLS,
    ) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_message()
    assert "input_json" in kinds
    assert final.stop_reason == "tool_use"
    (call,) = final.content
    assert call.type == "tool_use" and call.input == {"city": "Paris"}
    assert final.usage.output_tokens == 2


async def test_images_become_image_url_parts_for_vision_models_only(gw: Harness) -> None:
    content: list[anthropic.types.ContentBlockParam] = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PIXEL}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
        {"type": "text", "text": "What is this?"},
    ]
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": content}]
    await sdk(gw).messages.create(model="vlm", max_tokens=2, messages=messages)
    sent = gw.upstream.seen[-1].json
    assert sent is not None
    assert sent["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                {"type": "text", "text": "What is this?"},
            ],
        }
    ]
    with pytest.raises(anthropic.BadRequestError) as refused:
        await sdk(gw).messages.create(model="chat", max_tokens=2, messages=messages)
    assert "vision" in refused.value.message


async def test_every_error_has_anthropics_shape_and_status(gw: Harness) -> None:
    body = {"model": "chat", "max_tokens": 2, "messages": [{"role": "user", "content": "hi"}]}
    url = gw.v1 + "/messages"
    async with httpx.AsyncClient() as client:
        assert_anthropic_error(await client.post(url, json=body), 401, "authentication_error")
        management = await client.post(url, json=body, headers={"x-api-key": MGMT_KEY})
        assert_anthropic_error(management, 403, "permission_error")
        unknown = await client.post(url, json={**body, "model": "nope"}, headers={"x-api-key": KEY})
        assert_anthropic_error(unknown, 404, "not_found_error")
        idle = await client.post(url, json={**body, "model": "idle"}, headers={"x-api-key": KEY})
        assert_anthropic_error(idle, 503, "overloaded_error")
        broken = await client.post(url, content=b"{", headers={"x-api-key": KEY})
        assert_anthropic_error(broken, 400, "invalid_request_error")
        server_tool = {**body, "tools": [{"type": "web_search_20250305", "name": "web_search"}]}
        refused = await client.post(url, json=server_tool, headers={"x-api-key": KEY})
        assert_anthropic_error(refused, 400, "invalid_request_error")
        assert "input_schema" in refused.json()["error"]["message"]
        wrong_method = await client.get(url, headers={"x-api-key": KEY})
        assert_anthropic_error(wrong_method, 405, "invalid_request_error")
        for _ in range(2):
            await client.post(url, json=body, headers={"x-api-key": RATE_KEY})
        limited = await client.post(url, json=body, headers={"x-api-key": RATE_KEY})
        assert_anthropic_error(limited, 429, "rate_limit_error")
        assert limited.headers["retry-after"]
        gw.upstream.status = 500
        failed = await client.post(url, json=body, headers={"x-api-key": KEY})
        assert_anthropic_error(failed, 500, "api_error")
        assert failed.json()["error"]["message"] == "engine exploded"
    with pytest.raises(anthropic.AuthenticationError):
        await sdk(gw, "wrong").messages.create(model="chat", max_tokens=2, messages=[])


async def test_a_stream_broken_off_ends_with_an_error_event(gw: Harness) -> None:
    gw.upstream.chunk_interval_s = 1.5  # past the stand-in gateway's 1 s idle timeout
    body = {"model": "chat", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    async with httpx.AsyncClient(timeout=10) as client:
        raw = await client.post(gw.v1 + "/messages", json=body, headers={"x-api-key": KEY})
    name, doc = sse_events(raw.text)[-1]
    assert name == "error"
    assert doc == {
        "type": "error",
        "error": {"type": "timeout_error", "message": doc["error"]["message"]},
    }


async def test_count_tokens_is_answered_by_the_gateway(gw: Harness) -> None:
    client = sdk(gw)
    messages: list[anthropic.types.MessageParam] = [
        {"role": "user", "content": "How many tokens is this sentence, roughly?"}
    ]
    plain = await client.messages.count_tokens(model="chat", messages=messages)
    with_tools = await client.messages.count_tokens(
        model="chat", messages=messages, system="Be brief.", tools=TOOLS
    )
    assert 5 <= plain.input_tokens <= 20
    assert with_tools.input_tokens > plain.input_tokens
    assert gw.upstream.seen == []  # no engine was asked
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.count_tokens(model="nope", messages=messages)
