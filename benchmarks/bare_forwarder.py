"""The reference a gateway is measured against: the least a forwarding proxy must do.

Raw ASGI under uvicorn with an aiohttp client: read the body, parse `model`, check one bearer
key, forward to that model's upstream, relay status and body chunk by chunk. No limits, no
usage, no metrics, no balancing.

Run: `python benchmarks/bare_forwarder.py PORT KEY MODEL=UPSTREAM_URL [MODEL=URL ...]`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BareForwarder:
    """Forwards `POST /v1/...` to the upstream of the body's `model`."""

    def __init__(self, key: str, upstreams: dict[str, str]) -> None:
        self.authorization = f"Bearer {key}".encode()
        self.upstreams = upstreams
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = dict(scope["headers"])
        if headers.get(b"authorization") != self.authorization:
            await _reply(send, 401, b'{"error": {"message": "bad key"}}')
            return
        upstream = self.upstreams.get(str(json.loads(body).get("model")))
        if upstream is None:
            await _reply(send, 404, b'{"error": {"message": "no such model"}}')
            return
        assert self.session is not None
        request_headers = {"Content-Type": "application/json"}
        async with self.session.post(
            upstream + scope["path"], data=body, headers=request_headers
        ) as r:
            content_type = r.headers.get("Content-Type", "application/json").encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": r.status,
                    "headers": [(b"content-type", content_type)],
                }
            )
            async for chunk in r.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
                self.session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
                await send({"type": "lifespan.startup.complete"})
            else:
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _reply(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def main(argv: list[str]) -> None:
    import uvicorn

    port, key, *pairs = argv
    upstreams = dict(pair.split("=", 1) for pair in pairs)
    app = BareForwarder(key, upstreams)
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1:])
