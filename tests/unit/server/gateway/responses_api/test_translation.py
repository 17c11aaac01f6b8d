"""Responses ⇄ chat completions: requests, whole answers and streams, checked against the SDK's
own types (strict validation: a field the SDK requires and the gateway forgot fails here)."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
from openai.types.responses import Response, ResponseStreamEvent

from gpustack.server.gateway.errors import GatewayError
from gpustack.server.gateway.responses_api.request import translate
from gpustack.server.gateway.responses_api.response import (
    assistant_message,
    finished,
    output_items,
    skeleton,
)
from gpustack.server.gateway.responses_api.stream import ResponseStream

EVENT = pydantic.TypeAdapter(ResponseStreamEvent)


def base() -> dict[str, Any]:
    return skeleton("resp_1", 1700000000, "m", translate({"model": "m", "input": "hi"}).echo)


def events(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for block in raw.decode().strip().split("\n\n"):
        name, data = block.split("\n")
        doc = json.loads(data.removeprefix("data: "))
        assert name == "event: " + doc["type"]
        EVENT.validate_python(doc, strict=True)
        out.append(doc)
    return out


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_input_items_become_chat_messages() -> None:
    request = translate(
        {
            "model": "m",
            "instructions": "Be brief.",
            "input": [
                {"role": "developer", "content": "Use tools."},
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Hi"}],
                },
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "Checking.", "annotations": []}],
                },
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "one"},
                {
                    "type": "function_call_output",
                    "call_id": "c2",
                    "output": [{"type": "input_text", "text": "two"}],
                },
            ],
            "text": {
                "format": {"type": "json_schema", "name": "out", "schema": {}, "strict": True}
            },
            "max_output_tokens": 9,
            "stream": True,
        }
    )
    calls = [
        {"id": c, "type": "function", "function": {"name": n, "arguments": "{}"}}
        for c, n in (("c1", "f"), ("c2", "g"))
    ]
    assert request.chat == {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "system", "content": "Use tools."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Checking.", "tool_calls": calls},
            {"role": "tool", "tool_call_id": "c1", "content": "one"},
            {"role": "tool", "tool_call_id": "c2", "content": "two"},
        ],
        "max_tokens": 9,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": {}, "strict": True},
        },
        "stream": True,
    }
    # Instructions are this request's own: the kept conversation leaves them out.
    assert request.conversation == request.chat["messages"][1:]
    assert request.echo["instructions"] == "Be brief." and request.store


@pytest.mark.parametrize(
    "doc",
    [
        {"input": [{"type": "item_reference", "id": "x"}]},
        {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
        {"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]},
        {"input": "hi", "tools": [{"type": "file_search"}]},
        {"input": "hi", "tools": [{"type": "function", "name": "f"}], "tool_choice": "sometimes"},
        {"input": 3},
    ],
)
def test_what_cannot_be_translated_is_a_400(doc: dict[str, Any]) -> None:
    with pytest.raises(GatewayError) as refused:
        translate({"model": "m", **doc})
    assert refused.value.status == 400


def test_a_whole_answer_is_a_valid_response() -> None:
    completion = {
        "choices": [
            {
                "finish_reason": "tool_calls",
                "message": {
                    "reasoning_content": "Think.",
                    "content": "Checking.",
                    "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}],
                },
            }
        ],
    }
    output, reason = output_items(completion)
    usage = {
        "prompt_tokens": 5,
        "completion_tokens": 3,
        "prompt_tokens_details": {"cached_tokens": 2},
    }
    doc = finished(base(), output, usage, reason)
    response = Response.model_validate(doc, strict=True)
    assert [item.type for item in response.output] == ["reasoning", "message", "function_call"]
    assert response.output_text == "Checking." and response.status == "completed"
    assert response.usage is not None and response.usage.total_tokens == 8
    assert response.usage.input_tokens_details.cached_tokens == 2
    assert assistant_message(output) == {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }


def test_a_stream_gives_valid_events_and_the_final_response() -> None:
    stream = ResponseStream(base(), prompt_estimate=3)
    raw = stream.start()
    raw += stream.feed(chunk({"role": "assistant", "content": None}))
    raw += stream.feed(chunk({"reasoning_content": "Hm."}))
    raw += stream.feed(chunk({"content": "Let me "}))
    raw += stream.feed(chunk({"content": "check."}))
    call = {"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"a"'}}
    raw += stream.feed(chunk({"tool_calls": [call]}))
    raw += stream.feed(chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}))
    raw += stream.feed(chunk({}, "tool_calls"))
    raw += stream.finish()
    docs = events(raw)
    assert [d["sequence_number"] for d in docs] == list(range(len(docs)))
    added = [d["item"]["type"] for d in docs if d["type"] == "response.output_item.added"]
    done = [d["item"] for d in docs if d["type"] == "response.output_item.done"]
    assert added == [item["type"] for item in done] == ["reasoning", "message", "function_call"]
    assert [d["output_index"] for d in docs if d["type"] == "response.output_item.done"] == [
        0,
        1,
        2,
    ]
    assert done[1]["content"][0]["text"] == "Let me check."
    assert done[2]["arguments"] == '{"a": 1}' and done[2]["call_id"] == "c1"
    final = Response.model_validate(docs[-1]["response"], strict=True)
    assert docs[-1]["type"] == "response.completed"
    assert final.output_text == "Let me check."
    # No usage from the engine: estimated (prompt from the request, a token per delta).
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (3, 5)
    assert stream.response == docs[-1]["response"]


def test_a_stream_cut_at_the_limit_is_incomplete_and_an_empty_one_still_has_a_message() -> None:
    stream = ResponseStream(base(), prompt_estimate=0)
    stream.start()
    stream.feed(chunk({"content": "a"}, "length"))
    last = events(stream.finish())[-1]
    assert last["type"] == "response.incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}

    empty = ResponseStream(base(), prompt_estimate=0)
    empty.start()
    empty.feed(chunk({}, "stop"))
    docs = events(empty.finish())
    assert [d["type"] for d in docs][-2:] == ["response.output_item.done", "response.completed"]
    assert docs[-1]["response"]["output"][0]["content"][0]["text"] == ""


def test_a_broken_stream_ends_with_response_failed() -> None:
    stream = ResponseStream(base(), prompt_estimate=0)
    stream.start()
    stream.feed(chunk({"content": "a"}))
    docs = events(stream.fail(GatewayError(504, "too slow")))
    assert docs[-1]["type"] == "response.failed"
    assert docs[-1]["response"]["error"] == {"code": "server_error", "message": "too slow"}
    assert docs[-2]["type"] == "response.output_item.done"
