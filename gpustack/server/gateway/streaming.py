"""Relays a server-sent-event stream event by event, watching it for usage and first token.

Bytes are forwarded as soon as an event is complete (only a partial event is ever held back).
The relay also makes every stream end with usage: when the engine sent none, a final
`{"choices": [], "usage": {...}}` event with an estimate is added before `data: [DONE]`.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import GatewayError
from .jsonio import dumps, loads

_USAGE = re.compile(rb'"usage"\s*:\s*\{')
_TOKEN = re.compile(rb'"(?:content|text|reasoning_content|reasoning|arguments)"\s*:\s*"[^"]')
_DONE = b"data: [DONE]"
# An engine that never ends an event must not make us hold its whole answer.
_MAX_PENDING = 1 << 20


class SseRelay:
    """Feed upstream chunks in, forward what `feed` returns; call `finish` at the end."""

    def __init__(self, prompt_estimate: int = 0, strip_usage_events: bool = False) -> None:
        self._pending = b""
        self._prompt_estimate = prompt_estimate
        self._strip_usage_events = strip_usage_events
        self.usage: dict[str, Any] | None = None
        self.events = 0
        self.first_token_seen = False

    def feed(self, chunk: bytes) -> bytes:
        if b"\r" in chunk:
            # CRLF framing breaks strict parsers (Dify's): forward LF only.
            chunk = chunk.replace(b"\r\n", b"\n")
        data = self._pending + chunk if self._pending else chunk
        if data.endswith(b"\n\n"):  # engines mostly write whole events
            self._pending = b""
            return self._inspect(data)
        cut = data.rfind(b"\n\n")
        if cut < 0:
            if len(data) > _MAX_PENDING:
                self._pending = b""
                return data
            self._pending = data
            return b""
        block, self._pending = data[: cut + 2], data[cut + 2 :]
        return self._inspect(block)

    def finish(self) -> bytes:
        """What is left to send when the engine closed the stream."""
        rest, self._pending = self._pending, b""
        return rest

    def _inspect(self, block: bytes) -> bytes:
        self.events += block.count(b"\n\n")
        if not self.first_token_seen and _TOKEN.search(block):
            self.first_token_seen = True
        # Plain substring tests first: they are far cheaper than the regex on every event.
        if b'"usage"' in block and _USAGE.search(block):
            block = self._take_usage(block)
        if b"[DONE]" in block and self.usage is None:
            block = block.replace(_DONE, self._usage_event() + _DONE, 1)
        return block

    def _take_usage(self, block: bytes) -> bytes:
        kept: list[bytes] = []
        for event in block.split(b"\n\n"):
            if not event:
                continue
            if _USAGE.search(event):
                doc = _parse_event(event)
                if doc is not None and isinstance(doc.get("usage"), dict):
                    self.usage = doc["usage"]
                    if self._strip_usage_events and not doc.get("choices"):
                        continue
            kept.append(event + b"\n\n")
        return b"".join(kept)

    def _usage_event(self) -> bytes:
        completion = max(self.events - 1, 0)
        self.usage = {
            "prompt_tokens": self._prompt_estimate,
            "completion_tokens": completion,
            "total_tokens": self._prompt_estimate + completion,
        }
        return b"data: " + dumps({"choices": [], "usage": self.usage}) + b"\n\n"


def _parse_event(event: bytes) -> dict[str, Any] | None:
    payload = event.strip()
    if payload.startswith(b"data:"):
        payload = payload[5:]
    try:
        doc = loads(payload)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def error_event(error: GatewayError) -> bytes:
    """A mid-stream failure, in the shape clients raise as the error message."""
    return b"data: " + error.body() + b"\n\n"
