"""Messages ⇄ chat completions: requests, whole answers and streams, checked against the SDK's
own types (strict validation: a field the SDK requires and the gateway forgot fails here)."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
from anthropic.types import Message, RawMessageStreamEvent

from gpustack.server.gateway.anthropic.request import to_chat
from gpustack.server.gateway.anthropic.response import stop_reason, to_message
from gpustack.server.gateway.anthropic.stream import MessageStream
from gpustack.server.gateway.errors import GatewayError

EVENT = pydantic.TypeAdapter(RawMessageStreamEvent)


def events(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for block in raw.decode().strip().split("\n\n"):
        name, data = block.split("\n")
        doc = json.loads(data.removeprefix("data: "))
        assert name == "event: " + doc["type"]
        out.append(doc)
    return out


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_a_user_turn_puts_tool_results_first_and_moves_their_images_after() -> None:
    chat = to_chat(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "Look it up."},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                        {"type": "text", "text": "Calling."},
                        {"type": "tool_use", "id": "t1", "name": "look", "input": {"q": "x"}},
                        {"type": "tool_use", "id": "t2", "name": "snap", "input": {}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Here:"},
                        {"type": "tool_result", "tool_use_id": "t1", "content": "found"},
                        {
                            "type": "tool_result",
                            "tool_use_id": "t2",
                            "is_error": True,
                            "content": [
                                {"type": "text", "text": "blurry"},
                                {
                                    "type": "image",
                                    "source": {"type": "url", "url": "http://x/i.png"},
                                },
                            ],
                        },
                    ],
                },
            ],
        }
    )
    assert chat["messages"] == [
        {"role": "user", "content": "Look it up."},
        {
            "role": "assistant",
            "content": "Calling.",
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "look", "arguments": '{"q":"x"}'},
                },
                {"id": "t2", "type": "function", "function": {"name": "snap", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "found"},
        {"role": "tool", "tool_call_id": "t2", "content": "Error: blurry"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Here:"},
                {"type": "image_url", "image_url": {"url": "http://x/i.png"}},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "f"}, {"type": "function", "function": {"name": "f"}}),
    ],
)
def test_tool_choice(choice: dict[str, Any], expected: object) -> None:
    tools = [{"name": "f", "input_schema": {"type": "object"}}]
    doc = {"model": "m", "messages": [], "tools": tools, "tool_choice": choice}
    assert to_chat(doc)["tool_choice"] == expected


@pytest.mark.parametrize(
    "message",
    [
        {"role": "system", "content": "x"},
        {"role": "user", "content": [{"type": "audio", "data": "x"}]},
        {"role": "user", "content": [{"type": "image", "source": {"type": "file", "id": "f"}}]},
        {"role": "user", "content": 7},
    ],
)
def test_what_cannot_be_translated_is_a_400(message: dict[str, Any]) -> None:
    with pytest.raises(GatewayError) as refused:
        to_chat({"model": "m", "messages": [message]})
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("finish", "called", "expected"),
    [
        ("stop", False, "end_turn"),
        ("length", False, "max_tokens"),
        ("tool_calls", True, "tool_use"),
        ("stop", True, "tool_use"),  # some engines say stop after a call
        (None, False, "end_turn"),
        ("content_filter", False, "refusal"),
    ],
)
def test_stop_reasons(finish: str | None, called: bool, expected: str) -> None:
    assert stop_reason(finish, called) == expected


def test_a_whole_answer_is_a_valid_message() -> None:
    completion = {
        "choices": [
            {
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "reasoning_content": "Think.",
                    "content": "Let me check.",
                    "tool_calls": [
                        {"id": "c1", "function": {"name": "f", "arguments": '{"a": 1}'}},
                        {"function": {"name": "g", "arguments": "not json"}},
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 5},
    }
    message = Message.model_validate(to_message(completion, "m", "msg_1"), strict=True)
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert message.content[2].input == {"a": 1}  # type: ignore[union-attr]
    assert message.content[3].input == {}  # type: ignore[union-attr]
    assert message.content[3].id.startswith("toolu_")  # type: ignore[union-attr]
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (11, 5)
    empty = to_message({"choices": [{"message": {"content": ""}}], "usage": {}}, "m", "msg_2")
    assert empty["content"] == [{"type": "text", "text": ""}]


def test_a_stream_gives_one_block_at_a_time_with_valid_events() -> None:
    stream = MessageStream("msg_1", "m", prompt_estimate=9)
    raw = stream.start()
    raw += stream.feed(chunk({"role": "assistant", "content": None}))
    raw += stream.feed(chunk({"reasoning_content": "Hm."}))
    raw += stream.feed(chunk({"content": "I'll "}))
    raw += stream.feed(chunk({"content": "call."}))
    call = {"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"a"'}}
    raw += stream.feed(chunk({"tool_calls": [call]}))
    raw += stream.feed(chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}))
    raw += stream.feed(chunk({"tool_calls": [{"index": 1, "id": "c2", "function": {"name": "g"}}]}))
    raw += stream.feed(chunk({}, "tool_calls"))
    raw += stream.feed({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 6}})
    raw += stream.finish()
    docs = events(raw)
    for doc in docs:
        if doc["type"] != "ping":
            EVENT.validate_python(doc, strict=True)
    starts = [d["content_block"] for d in docs if d["type"] == "content_block_start"]
    assert [s["type"] for s in starts] == ["thinking", "text", "tool_use", "tool_use"]
    assert [(s["id"], s["name"]) for s in starts[2:]] == [("c1", "f"), ("c2", "g")]
    # Each block stops before the next starts; indexes count up from 0.
    order = [(d["type"], d.get("index")) for d in docs if d["type"].startswith("content_block_")]
    assert [o for o in order if o[0] != "content_block_delta"] == [
        (kind, i) for i in range(4) for kind in ("content_block_start", "content_block_stop")
    ]
    json_parts = [
        d["delta"]["partial_json"]
        for d in docs
        if d.get("delta", {}).get("type") == "input_json_delta"
    ]
    assert "".join(json_parts) == '{"a": 1}'
    assert docs[-2]["delta"]["stop_reason"] == "tool_use"
    assert docs[-2]["usage"] == {"input_tokens": 12, "output_tokens": 6}
    assert docs[0]["message"]["usage"]["input_tokens"] == 9  # the estimate, until the end
    assert stream.usage["total_tokens"] == 18


def test_a_stream_without_usage_is_estimated() -> None:
    stream = MessageStream("msg_1", "m", prompt_estimate=4)
    stream.start()
    for text in ("a", "b", "c"):
        stream.feed(chunk({"content": text}))
    stream.feed(chunk({}, "stop"))
    docs = events(stream.finish())
    assert docs[-2]["usage"] == {"input_tokens": 4, "output_tokens": 3}
    assert docs[-2]["delta"]["stop_reason"] == "end_turn"
