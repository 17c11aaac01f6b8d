"""A stand-in external provider on loopback: OpenAI-style chat completions, told to answer 429
for its `busy` models, recording the headers it was sent."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class StandInProvider:
    port: int = 0
    busy: set[str] = field(default_factory=set)
    authorizations: list[str] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    models_seen: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def chat(self, request: web.Request) -> web.StreamResponse:
        doc: dict[str, Any] = await request.json()
        self.headers_seen.append(dict(request.headers))
        self.authorizations.append(request.headers.get("Authorization", ""))
        model = str(doc.get("model"))
        self.models_seen.append(model)
        if model in self.busy:
            error = {"error": {"message": "rate limited", "type": "rate_limit_error"}}
            return web.json_response(error, status=429, headers={"Retry-After": "1"})
        message = {"role": "assistant", "content": f"stand-in answer from {model}"}
        usage = {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
        base = {"id": "chatcmpl-standin", "created": int(time.time()), "model": model}
        if not doc.get("stream"):
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            body = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            return web.json_response(body)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = {"index": 0, "delta": message, "finish_reason": "stop"}
        events = [
            {**base, "object": "chat.completion.chunk", "choices": [chunk]},
            {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage},
        ]
        for event in events:
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


@contextmanager
def standin_provider() -> Iterator[StandInProvider]:
    """Serve the stand-in on its own event loop in a thread, for tests that block."""
    provider = StandInProvider()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    provider.port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", provider.chat)
    runner = web.AppRunner(app, access_log=None)
    started = threading.Event()

    async def start() -> None:
        await runner.setup()
        await web.SockSite(runner, sock).start()
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield provider
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        sock.close()
