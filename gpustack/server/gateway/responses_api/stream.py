"""A chat-completion stream as the Responses API's events.

`response.created` and `response.in_progress` go out as soon as the engine answers. Each
output item then opens with `response.output_item.added` and closes with
`response.output_item.done`: a message with `response.content_part.added`, its
`response.output_text.delta` events, `response.output_text.done` and
`response.content_part.done`; a function call with `response.function_call_arguments.delta`
and `.done`; reasoning with `response.reasoning_text.delta` and `.done`. The stream ends with
`response.completed` (or `response.incomplete` at the token limit) carrying the whole Response
with its usage, or `response.failed` when the engine broke off. Every event has a
`sequence_number`, counting from 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..chat_stream import (
    Finish,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    UsageTally,
    deltas,
)
from ..errors import GatewayError
from ..responses import sse_event
from .response import (
    failed,
    finished,
    function_call_item,
    message_item,
    new_id,
    output_text,
    reasoning_item,
)


@dataclass(slots=True)
class _Item:
    """The output item being streamed."""

    kind: str  # "message", "reasoning" or "function_call"
    key: int  # the chat tool call's index (function calls)
    output_index: int
    id: str
    text: list[str] = field(default_factory=list)  # text, reasoning or arguments so far
    call_id: str = ""
    name: str = ""


class ResponseStream:
    """Translates one chat stream; `response` is the finished Response once it ended."""

    def __init__(self, base: dict[str, Any], prompt_estimate: int) -> None:
        self._base = base
        self._tally = UsageTally(prompt_estimate)
        self._sequence = 0
        self._output: list[dict[str, Any]] = []
        self._open: _Item | None = None
        self._finish_reason: str | None = None
        self.first_token_seen = False
        self.response: dict[str, Any] | None = None

    @property
    def usage(self) -> dict[str, Any]:
        return self._tally.usage

    def start(self) -> bytes:
        return self._event("response.created", response=self._base) + self._event(
            "response.in_progress", response=self._base
        )

    def feed(self, chunk: dict[str, Any]) -> bytes:
        self._tally.take(chunk)
        out: list[bytes] = []
        for delta in deltas(chunk):
            if isinstance(delta, Finish):
                self._finish_reason = delta.reason
                continue
            self._tally.count()
            self.first_token_seen = True
            if isinstance(delta, TextDelta):
                item = self._item(out, "message", 0)
                item.text.append(delta.text)
                out.append(self._event("response.output_text.delta", **self._at(item, delta.text)))
            elif isinstance(delta, ReasoningDelta):
                item = self._item(out, "reasoning", 0)
                item.text.append(delta.text)
                fields = self._at(item, delta.text)
                del fields["logprobs"]
                out.append(self._event("response.reasoning_text.delta", **fields))
            elif isinstance(delta, ToolCallDelta):
                item = self._item(out, "function_call", delta.index, delta)
                if delta.arguments:
                    item.text.append(delta.arguments)
                    out.append(
                        self._event(
                            "response.function_call_arguments.delta",
                            item_id=item.id,
                            output_index=item.output_index,
                            delta=delta.arguments,
                        )
                    )
        return b"".join(out)

    def finish(self) -> bytes:
        status = "incomplete" if self._finish_reason == "length" else "completed"
        out: list[bytes] = []
        if self._open is None and not self._output:
            self._item(out, "message", 0)  # an empty answer is still one (empty) message
        out.append(self._close(status))
        self.response = finished(self._base, self._output, self.usage, self._finish_reason)
        kind = "response.incomplete" if status == "incomplete" else "response.completed"
        return b"".join(out) + self._event(kind, response=self.response)

    def fail(self, error: GatewayError) -> bytes:
        out = self._close("incomplete")
        response = failed(self._base, self._output, error.message)
        return out + self._event("response.failed", response=response)

    def _event(self, kind: str, **fields: Any) -> bytes:
        doc = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return sse_event(kind, doc)

    def _at(self, item: _Item, delta: str) -> dict[str, Any]:
        return {
            "item_id": item.id,
            "output_index": item.output_index,
            "content_index": 0,
            "delta": delta,
            "logprobs": [],
        }

    def _item(
        self, out: list[bytes], kind: str, key: int, call: ToolCallDelta | None = None
    ) -> _Item:
        """The open item if it is this one, else a new one (the open one closed first)."""
        item = self._open
        if item is not None and item.kind == kind and item.key == key:
            return item
        out.append(self._close("completed"))
        index = len(self._output)
        if kind == "function_call":
            assert call is not None
            item = _Item(kind, key, index, new_id("fc"))
            item.call_id = call.id or new_id("call")
            item.name = call.name or ""
            announced = function_call_item(item.id, item.call_id, item.name, "", "in_progress")
            out.append(
                self._event("response.output_item.added", output_index=index, item=announced)
            )
        else:
            item = _Item(kind, key, index, new_id("rs" if kind == "reasoning" else "msg"))
            if kind == "message":
                announced = message_item(item.id, None, "in_progress")
                part: dict[str, Any] = output_text("")
            else:
                announced = reasoning_item(item.id, None, "in_progress")
                part = {"type": "reasoning_text", "text": ""}
            out.append(
                self._event("response.output_item.added", output_index=index, item=announced)
            )
            out.append(
                self._event(
                    "response.content_part.added",
                    item_id=item.id,
                    output_index=index,
                    content_index=0,
                    part=part,
                )
            )
        self._open = item
        return item

    def _close(self, status: str) -> bytes:
        """Finish the open item: its closing events, and its place in the output."""
        item, self._open = self._open, None
        if item is None:
            return b""
        text = "".join(item.text)
        where = {"item_id": item.id, "output_index": item.output_index}
        out: list[bytes] = []
        if item.kind == "function_call":
            done = function_call_item(item.id, item.call_id, item.name, text, status)
            out.append(
                self._event("response.function_call_arguments.done", **where, arguments=text)
            )
        elif item.kind == "message":
            done = message_item(item.id, text, status)
            out.append(
                self._event(
                    "response.output_text.done", **where, content_index=0, text=text, logprobs=[]
                )
            )
            out.append(
                self._event(
                    "response.content_part.done", **where, content_index=0, part=output_text(text)
                )
            )
        else:
            done = reasoning_item(item.id, text, status)
            part = {"type": "reasoning_text", "text": text}
            out.append(
                self._event("response.reasoning_text.done", **where, content_index=0, text=text)
            )
            out.append(
                self._event("response.content_part.done", **where, content_index=0, part=part)
            )
        self._output.append(done)
        out.append(
            self._event("response.output_item.done", output_index=item.output_index, item=done)
        )
        return b"".join(out)
