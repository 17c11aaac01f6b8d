"""An engine's chat-completion stream read as deltas, for the APIs that translate it.

`ChatChunkReader` turns the bytes of a server-sent-event stream into its JSON chunks;
`deltas` turns one chunk into what the model said (text, reasoning, tool-call pieces, the
finish reason); `UsageTally` keeps the engine's usage, or an estimate when it reports none.
`completion_as_chunk` makes a whole answer look like one chunk, for an engine that answered a
stream request without streaming.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .jsonio import loads
from .upstream import UpstreamBroken

# One event larger than this is not an engine speaking the protocol.
_MAX_EVENT = 16 << 20


class ChatChunkReader:
    """Feed upstream bytes, get the complete events' JSON objects; `done` after `[DONE]`."""

    def __init__(self) -> None:
        self._pending = b""
        self.done = False

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        if self._pending:
            data = self._pending + data
        cut = data.rfind(b"\n\n")
        if cut < 0:
            if len(data) > _MAX_EVENT:
                raise UpstreamBroken(f"an event over {_MAX_EVENT} bytes")
            self._pending = data
            return []
        self._pending = data[cut + 2 :]
        return self._parse(data[:cut])

    def finish(self) -> list[dict[str, Any]]:
        """The last event, when the engine closed the stream without a blank line after it."""
        rest, self._pending = self._pending, b""
        return self._parse(rest)

    def _parse(self, block: bytes) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for event in block.split(b"\n\n"):
            data = b"\n".join(
                line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:")
            )
            if not data:
                continue
            if data == b"[DONE]":
                self.done = True
                continue
            try:
                doc = loads(data)
            except ValueError:
                continue  # not ours to repair; the rest of the stream still counts
            if isinstance(doc, dict):
                out.append(doc)
        return out


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of the tool call at `index`: the first piece carries its id and name."""

    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True, slots=True)
class Finish:
    reason: str


Delta = TextDelta | ReasoningDelta | ToolCallDelta | Finish


def deltas(chunk: dict[str, Any]) -> Iterator[Delta]:
    """What the first choice of one chunk adds (other choices: `n` > 1 is not translated)."""
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return
    choice = choices[0]
    delta = choice.get("delta")
    if isinstance(delta, dict):
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            yield ReasoningDelta(reasoning)
        content = delta.get("content")
        if isinstance(content, str) and content:
            yield TextDelta(content)
        for position, call in enumerate(delta.get("tool_calls") or ()):
            if isinstance(call, dict):
                yield _tool_call_delta(call, position)
    reason = choice.get("finish_reason")
    if isinstance(reason, str) and reason:
        yield Finish(reason)


def _tool_call_delta(call: dict[str, Any], position: int) -> ToolCallDelta:
    function = as_dict(call.get("function"))
    index = call.get("index")
    arguments = function.get("arguments")
    return ToolCallDelta(
        index=index if isinstance(index, int) else position,
        id=call["id"] if isinstance(call.get("id"), str) and call["id"] else None,
        name=function["name"] if isinstance(function.get("name"), str) else None,
        arguments=arguments if isinstance(arguments, str) else "",
    )


class UsageTally:
    """The engine's usage when a chunk carries it; otherwise an estimate from the stream.

    The estimate counts one token per content delta (engines send about one token each) and
    takes the prompt's estimate from the request.
    """

    def __init__(self, prompt_estimate: int) -> None:
        self._prompt_estimate = prompt_estimate
        self._reported: dict[str, Any] | None = None
        self._deltas = 0

    def take(self, chunk: dict[str, Any]) -> None:
        usage = chunk.get("usage")
        if isinstance(usage, dict) and "completion_tokens" in usage:
            self._reported = usage

    def count(self) -> None:
        self._deltas += 1

    @property
    def usage(self) -> dict[str, Any]:
        """Chat-completion usage: `prompt_tokens`, `completion_tokens`, `total_tokens`."""
        if self._reported is not None:
            prompt = _int(self._reported.get("prompt_tokens"))
            completion = _int(self._reported.get("completion_tokens"))
            total = _int(self._reported.get("total_tokens")) or prompt + completion
            return {
                **self._reported,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": total,
            }
        prompt, completion = self._prompt_estimate, self._deltas
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }


def completion_as_chunk(doc: dict[str, Any]) -> dict[str, Any]:
    """A whole chat completion as the single chunk that would have streamed it."""
    choices = doc.get("choices")
    choice = as_dict(choices[0] if isinstance(choices, list) and choices else None)
    delta = dict(as_dict(choice.get("message")))
    calls = delta.get("tool_calls")
    if isinstance(calls, list):
        delta["tool_calls"] = [
            {**call, "index": i} for i, call in enumerate(calls) if isinstance(call, dict)
        ]
    reason = choice.get("finish_reason")
    chunk: dict[str, Any] = {"choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}
    if isinstance(doc.get("usage"), dict):
        chunk["usage"] = doc["usage"]
    return chunk


def as_dict(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (engines' answers vary)."""
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
