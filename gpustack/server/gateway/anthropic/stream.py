"""A chat-completion stream as Anthropic's message events.

`message_start` (with the prompt's estimate as `input_tokens`) and a `ping` go out as soon as
the engine answers; then one content block at a time: `content_block_start`, its deltas
(`text_delta`, `thinking_delta`, `input_json_delta` for a tool call's arguments),
`content_block_stop`; at the end `message_delta` (stop reason and the engine's usage, which
clients take over the estimate) and `message_stop`. A failure mid-way ends with `error`.
"""

from __future__ import annotations

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
from .errors import error_doc
from .response import stop_reason, tool_use_id


def _event(kind: str, doc: dict[str, Any]) -> bytes:
    return sse_event(kind, {"type": kind, **doc})


class MessageStream:
    """Translates one chat stream; see the module's docstring for the events."""

    def __init__(self, message_id: str, model: str, prompt_estimate: int) -> None:
        self._id = message_id
        self._model = model
        self._prompt_estimate = prompt_estimate
        self._tally = UsageTally(prompt_estimate)
        self._index = -1  # of the open block
        self._open: tuple[str, int] | None = None  # its kind (and the chat tool call's index)
        self._finish_reason: str | None = None
        self._called_tools = False
        self.first_token_seen = False

    @property
    def usage(self) -> dict[str, Any]:
        return self._tally.usage

    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self._prompt_estimate, "output_tokens": 0},
        }
        return _event("message_start", {"message": message}) + _event("ping", {})

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
                out.append(self._block(("text", 0), {"type": "text", "text": ""}))
                out.append(self._delta({"type": "text_delta", "text": delta.text}))
            elif isinstance(delta, ReasoningDelta):
                thinking = {"type": "thinking", "thinking": "", "signature": ""}
                out.append(self._block(("thinking", 0), thinking))
                out.append(self._delta({"type": "thinking_delta", "thinking": delta.text}))
            elif isinstance(delta, ToolCallDelta):
                self._called_tools = True
                block: dict[str, Any] = {
                    "type": "tool_use",
                    "id": delta.id or tool_use_id(),
                    "name": delta.name or "",
                    "input": {},
                }
                out.append(self._block(("tool_use", delta.index), block))
                if delta.arguments:
                    json_delta = {"type": "input_json_delta", "partial_json": delta.arguments}
                    out.append(self._delta(json_delta))
        return b"".join(out)

    def finish(self) -> bytes:
        usage = self._tally.usage
        delta = {
            "delta": {
                "stop_reason": stop_reason(self._finish_reason, self._called_tools),
                "stop_sequence": None,
            },
            "usage": {
                "input_tokens": usage["prompt_tokens"],
                "output_tokens": usage["completion_tokens"],
            },
        }
        return self._close() + _event("message_delta", delta) + _event("message_stop", {})

    def fail(self, error: GatewayError) -> bytes:
        return sse_event("error", error_doc(error.status, error.message))

    def _block(self, kind: tuple[str, int], block: dict[str, Any]) -> bytes:
        """Start a block of this kind unless it is the open one (closing the open one)."""
        if self._open == kind:
            return b""
        out = self._close()
        self._index += 1
        self._open = kind
        return out + _event("content_block_start", {"index": self._index, "content_block": block})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _event("content_block_delta", {"index": self._index, "delta": delta})

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _event("content_block_stop", {"index": self._index})
