"""Passing an engine's answer on to the client: whole, as server-sent events (as they came or
translated into another API's events), or as raw bytes."""

from __future__ import annotations

import time
from typing import Any, Protocol

from .asgi import Send
from .call import Call, Outcome
from .chat_stream import ChatChunkReader
from .errors import GatewayError, normalize_upstream_error, upstream_failure
from .responses import JSON, SSE_HEADERS, send_bytes, send_chunk, start_stream
from .streaming import SseRelay, error_event
from .upstream import UpstreamError, UpstreamResponse


def is_event_stream(response: UpstreamResponse) -> bool:
    """A successful answer sent as server-sent events."""
    return 200 <= response.status < 300 and response.content_type.startswith("text/event-stream")


async def read_whole(response: UpstreamResponse, call: Call) -> bytes:
    try:
        return await response.read()
    except UpstreamError as exc:
        raise upstream_failure(exc, call.route.name) from None


async def send_whole(send: Send, response: UpstreamResponse, body: bytes, outcome: Outcome) -> None:
    """Send an answer read whole; an engine's error is rewritten into the OpenAI shape."""
    status = response.status
    outcome.status = status
    if status >= 400:
        await send_bytes(send, status, JSON, normalize_upstream_error(status, body))
    else:
        await send_bytes(send, status, response.content_type.encode() or JSON, body)


async def relay_events(
    send: Send, response: UpstreamResponse, events: SseRelay, call: Call, outcome: Outcome
) -> None:
    """Forward an event stream as it comes; a failure mid-way ends it with an error event."""
    await start_stream(send, response.status, SSE_HEADERS)
    outcome.response_started = True
    try:
        async for chunk in response.iter_chunks():
            out = events.feed(chunk)
            if outcome.ttft_s is None and events.first_token_seen:
                outcome.ttft_s = time.perf_counter() - outcome.started
            if out:
                await send_chunk(send, out)
        tail = events.finish()
    except UpstreamError as exc:
        error = upstream_failure(exc, call.route.name)
        outcome.status = error.status
        tail = events.finish() + error_event(error)
    outcome.take_usage(events.usage)
    await send_chunk(send, tail, more=False)


class StreamTranslator(Protocol):
    """Turns an engine's chat-completion chunks into another API's events (bytes to send)."""

    @property
    def first_token_seen(self) -> bool: ...

    @property
    def usage(self) -> dict[str, Any]:
        """Chat-completion usage of the stream so far (the engine's, or an estimate)."""
        ...

    def start(self) -> bytes:
        """The events sent as soon as the engine answered."""
        ...

    def feed(self, chunk: dict[str, Any]) -> bytes: ...

    def finish(self) -> bytes:
        """The closing events, once the engine's stream ended."""
        ...

    def fail(self, error: GatewayError) -> bytes:
        """The closing events when the engine's stream broke off."""
        ...


async def relay_translated(
    send: Send,
    response: UpstreamResponse,
    translator: StreamTranslator,
    call: Call,
    outcome: Outcome,
) -> None:
    """Translate a chat-completion event stream as it comes; a failure ends it the API's way."""
    await start_stream(send, 200, SSE_HEADERS)
    outcome.response_started = True
    reader = ChatChunkReader()
    await send_chunk(send, translator.start())
    try:
        async for data in response.iter_chunks():
            out = b"".join([translator.feed(chunk) for chunk in reader.feed(data)])
            if outcome.ttft_s is None and translator.first_token_seen:
                outcome.ttft_s = time.perf_counter() - outcome.started
            if out:
                await send_chunk(send, out)
        tail = b"".join([translator.feed(chunk) for chunk in reader.finish()])
        tail += translator.finish()
    except UpstreamError as exc:
        error = upstream_failure(exc, call.route.name)
        outcome.status = error.status
        tail = translator.fail(error)
    outcome.take_usage(translator.usage)
    await send_chunk(send, tail, more=False)


async def relay_bytes(send: Send, response: UpstreamResponse, outcome: Outcome) -> None:
    """Forward a binary answer (audio) as it comes."""
    headers = [(b"content-type", response.content_type.encode() or b"application/octet-stream")]
    await start_stream(send, response.status, headers)
    outcome.response_started = True
    try:
        async for chunk in response.iter_chunks():
            await send_chunk(send, chunk)
    except UpstreamError:
        outcome.status = 502  # the client sees a truncated body; nothing else can be said
    await send_chunk(send, b"", more=False)
