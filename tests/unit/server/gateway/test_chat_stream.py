"""Reading an engine's chat stream for translation: events split anywhere, deltas, usage."""

from __future__ import annotations

import json

import pytest

from gpustack.server.gateway.chat_stream import (
    ChatChunkReader,
    Finish,
    TextDelta,
    ToolCallDelta,
    UsageTally,
    completion_as_chunk,
    deltas,
)
from gpustack.server.gateway.upstream import UpstreamBroken


def test_events_split_across_reads_and_crlf_framing_are_read_whole() -> None:
    stream = (
        b'data: {"n": 1}\r\n\r\n: a comment\n\ndata: {"n": 2}\n\ndata: not json\n\ndata: [DONE]\n\n'
    )
    reader = ChatChunkReader()
    docs = []
    for i in range(0, len(stream), 5):
        docs += reader.feed(stream[i : i + 5])
    docs += reader.finish()
    assert docs == [{"n": 1}, {"n": 2}] and reader.done


def test_a_last_event_without_its_blank_line_is_still_read() -> None:
    reader = ChatChunkReader()
    assert reader.feed(b'data: {"n": 1}') == []
    assert reader.finish() == [{"n": 1}]


def test_an_endless_event_breaks_the_stream() -> None:
    reader = ChatChunkReader()
    with pytest.raises(UpstreamBroken):
        for _ in range(20):
            reader.feed(b"x" * (1 << 20))


def test_deltas_of_a_chunk() -> None:
    chunk = {
        "choices": [
            {
                "delta": {
                    "content": "hi",
                    "tool_calls": [{"index": 2, "id": "c", "function": {"name": "f"}}],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    assert list(deltas(chunk)) == [
        TextDelta("hi"),
        ToolCallDelta(2, "c", "f", ""),
        Finish("tool_calls"),
    ]
    assert list(deltas({"choices": [], "usage": {}})) == []


def test_usage_is_the_engines_or_an_estimate() -> None:
    tally = UsageTally(prompt_estimate=10)
    tally.count()
    tally.count()
    assert tally.usage == {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
    tally.take({"usage": {"prompt_tokens": 4, "completion_tokens": 1}})
    assert tally.usage == {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}


def test_a_whole_completion_reads_as_one_chunk() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    completion = {
        "choices": [{"message": {"content": "x", "tool_calls": [call]}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1},
    }
    chunk = completion_as_chunk(completion)
    assert json.loads(json.dumps(chunk))["usage"] == completion["usage"]
    assert list(deltas(chunk)) == [
        TextDelta("x"),
        ToolCallDelta(0, "c", "f", "{}"),
        Finish("stop"),
    ]
