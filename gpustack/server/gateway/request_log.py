"""The request log's hook: copies the bodies of a call whose route or key asks for it.

Nothing here runs for other calls: the gateway checks one flag on the route and one on the
key, and only then wraps `send` in a `BodyCapture`. Entries are buffered and written in
batches by a background task (like usage records); decoding, assembling streamed text and
cutting to size happen at write time, off the request path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gpustack.server.background import BackgroundLoop

from .asgi import Send

logger = logging.getLogger(__name__)

# A stream is kept longer than a whole answer: its text is assembled from the events later.
_STREAM_FACTOR = 16


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    timestamp: float
    user_id: int
    api_key_id: int | None
    model_id: int | None
    model_name: str
    operation: str
    status_code: int
    stream: bool
    duration_ms: float
    request_content_type: str
    request_body: bytes  # the first bytes only
    request_size: int
    response_content_type: str
    response_body: bytes
    captured_all: bool


class RequestLogSink(Protocol):
    async def write(self, entries: Sequence[RequestLogEntry]) -> None: ...


class BodyCapture:
    """An ASGI `send` that passes everything on and keeps the first bytes of the body."""

    def __init__(self, send: Send, limit: int) -> None:
        self._send = send
        self._limit = limit * _STREAM_FACTOR
        self.content_type = ""
        self.chunks: list[bytes] = []
        self.size = 0
        self.captured_all = True

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            for key, value in message.get("headers") or ():
                if key == b"content-type":
                    self.content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            body: bytes = message.get("body", b"")
            room = self._limit - self.size
            if len(body) > room:
                self.captured_all = False
                body = body[: max(room, 0)]
            if body:
                self.chunks.append(body)
                self.size += len(body)
        await self._send(message)


class RequestLogRecorder:
    """Buffers entries (dropping new ones past `queue_size`) and writes them every interval."""

    def __init__(
        self, sink: RequestLogSink, flush_interval_s: float = 1.0, queue_size: int = 10_000
    ) -> None:
        self._sink = sink
        self._interval = flush_interval_s
        self._capacity = queue_size
        self._buffer: list[RequestLogEntry] = []
        self._background = BackgroundLoop("gateway-request-log", self._drain)
        self.dropped = 0

    def record(self, entry: RequestLogEntry) -> None:
        if len(self._buffer) >= self._capacity:
            self.dropped += 1
            return
        self._buffer.append(entry)

    async def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
        await self._flush()

    async def _drain(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self._flush()

    async def _flush(self) -> None:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        try:
            await self._sink.write(batch)
        except Exception:
            # Bookkeeping: a failing store must never break inference.
            logger.exception("writing %d request log entries failed; dropped", len(batch))
            self.dropped += len(batch)
