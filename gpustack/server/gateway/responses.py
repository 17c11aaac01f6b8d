"""Writing answers to the ASGI `send` callable."""

from __future__ import annotations

from typing import Any

from .asgi import Send
from .errors import GatewayError
from .jsonio import dumps

JSON = b"application/json"
SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


async def send_bytes(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_error(send: Send, error: GatewayError, body: bytes | None = None) -> None:
    """Answer `error`; `body` when the API has its own error shape (the OpenAI one otherwise)."""
    if body is None:
        body = error.body()
    headers = [(b"content-type", JSON), (b"content-length", str(len(body)).encode())]
    if error.retry_after is not None:
        headers.append((b"retry-after", str(error.retry_after).encode()))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def start_stream(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})


async def send_chunk(send: Send, body: bytes, more: bool = True) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": more})


def sse_event(name: str, doc: dict[str, Any]) -> bytes:
    """One named server-sent event whose data is `doc` as JSON."""
    return b"event: " + name.encode() + b"\ndata: " + dumps(doc) + b"\n\n"
