"""Refuse request bodies over a size limit before a handler reads them (413, error shape)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gpustack.server.gateway.prefixes import PREFIX_DIRS


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Pure ASGI: checks Content-Length up front and counts chunked bodies as they stream."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The inference gateway enforces its own limit without wrapping `receive`.
        if scope["type"] != "http" or scope["path"].startswith(PREFIX_DIRS):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send)
                return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        limit_mib = self.max_bytes / (1024 * 1024)
        body = json.dumps(
            {
                "code": 413,
                "reason": "Request Entity Too Large",
                "message": f"request body is larger than the {limit_mib:g} MiB limit",
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
