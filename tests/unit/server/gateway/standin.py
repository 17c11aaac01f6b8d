"""A stand-in engine on loopback that answers like llama.cpp's server, with failure switches."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Raw logits, as llama.cpp's /v1/rerank returns them (index order, no documents).
RERANK_LOGITS = (-2.0, 3.0, 0.5, -6.0)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    json: dict[str, Any] | None
    raw: bytes


@dataclass
class StandInUpstream:
    """Switches: `status` (answer every request with this error status), `hang` (never answer),
    `delay_s` (before answering), `chunks`/`chunk_interval_s` (stream shape), `usage_in_stream`
    (honour stream_options.include_usage), `usage_in_body` (non-stream usage), `tool_call`
    (chat answers call this tool: name and JSON arguments, streamed in two pieces),
    `ignore_stream` (answer stream requests whole)."""

    status: int | None = None
    hang: bool = False
    delay_s: float = 0.0
    chunks: int = 3
    chunk_interval_s: float = 0.0
    usage_in_stream: bool = True
    usage_in_body: bool = True
    tool_call: tuple[str, str] | None = None
    ignore_stream: bool = False
    seen: list[Seen] = field(default_factory=list)
    active: int = 0
    peak_active: int = 0
    stream_cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/rerank", self._rerank)
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)
        app.router.add_post("/v1/audio/speech", self._speech)
        app.router.add_post("/v1/images/generations", self._images)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _enter(self, request: web.Request) -> dict[str, Any] | None:
        raw = await request.read()
        doc = None
        if request.content_type == "application/json":
            doc = await request.json()
        self.seen.append(Seen(request.path, dict(request.headers), doc, raw))
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        if self.hang:
            await asyncio.Event().wait()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return doc

    def _error(self) -> web.Response:
        body = {
            "error": {"code": self.status, "message": "engine exploded", "type": "server_error"}
        }
        return web.json_response(body, status=self.status or 500)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            doc = await self._enter(request) or {}
            if self.status:
                return self._error()
            chat = request.path.endswith("/chat/completions")
            if doc.get("stream") and not self.ignore_stream:
                return await self._stream(request, doc, chat)
            n = int(doc.get("max_tokens") or 3)
            usage = {"prompt_tokens": 7, "completion_tokens": n, "total_tokens": 7 + n}
            choice: dict[str, Any] = {"index": 0, "finish_reason": "length"}
            if chat and self.tool_call is not None:
                name, arguments = self.tool_call
                function = {"name": name, "arguments": arguments}
                call = {"id": "call_1", "type": "function", "function": function}
                choice["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
                choice["finish_reason"] = "tool_calls"
            elif chat:
                choice["message"] = {"role": "assistant", "content": "pong " * n}
            else:
                choice["text"] = "pong " * n
            body: dict[str, Any] = {
                "id": "cmpl-1",
                "object": "chat.completion" if chat else "text_completion",
                "created": 1,
                "model": doc.get("model"),
                "choices": [choice],
            }
            if self.usage_in_body:
                body["usage"] = usage
            return web.json_response(body)
        finally:
            self.active -= 1

    async def _stream(
        self, request: web.Request, doc: dict[str, Any], chat: bool
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        obj = "chat.completion.chunk" if chat else "text_completion"

        def event(choice: dict[str, Any], **extra: Any) -> bytes:
            body = {"id": "c1", "object": obj, "model": doc.get("model"), "choices": [choice]}
            body.update(extra)

            return b"data: " + json.dumps(body).encode() + b"\n\n"

        try:
            if chat and self.tool_call is not None:
                await self._stream_tool_call(response, event)
                return response
            for i in range(self.chunks):
                part = f"tok{i} "
                choice: dict[str, Any] = {"index": 0, "finish_reason": None}
                if chat:
                    choice["delta"] = {"content": part}
                else:
                    choice["text"] = part
                await response.write(event(choice))
                if self.chunk_interval_s:
                    await asyncio.sleep(self.chunk_interval_s)
            last: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
            if chat:
                last["delta"] = {}
            else:
                last["text"] = ""
            await response.write(event(last))
            options = doc.get("stream_options") or {}
            if self.usage_in_stream and options.get("include_usage"):
                usage = {"prompt_tokens": 7, "completion_tokens": self.chunks}
                usage["total_tokens"] = 7 + self.chunks

                payload = {"id": "c1", "object": obj, "choices": [], "usage": usage}
                await response.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            await response.write(b"data: [DONE]\n\n")
        except (asyncio.CancelledError, ConnectionResetError):
            self.stream_cancelled.set()
            raise
        return response

    async def _stream_tool_call(self, response: web.StreamResponse, event: Any) -> None:
        assert self.tool_call is not None
        name, arguments = self.tool_call
        half = len(arguments) // 2
        first = {"index": 0, "id": "call_1", "type": "function"}
        first["function"] = {"name": name, "arguments": arguments[:half]}
        rest = {"index": 0, "function": {"arguments": arguments[half:]}}
        for call in (first, rest):
            choice = {"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}
            await response.write(event(choice))
        await response.write(event({"index": 0, "delta": {}, "finish_reason": "tool_calls"}))
        usage = {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
        payload = {"id": "c1", "object": "chat.completion.chunk", "choices": [], "usage": usage}
        await response.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
        await response.write(b"data: [DONE]\n\n")

    async def _embeddings(self, request: web.Request) -> web.Response:
        try:
            doc = await self._enter(request) or {}
            if self.status:
                return self._error()
            inputs = doc.get("input")
            items = inputs if isinstance(inputs, list) else [inputs]
            data = [
                {"object": "embedding", "index": i, "embedding": [0.5, -0.25, 1.0]}
                for i, _ in enumerate(items)
            ]
            usage = {"prompt_tokens": 2 * len(items), "total_tokens": 2 * len(items)}
            return web.json_response(
                {"object": "list", "model": doc.get("model"), "data": data, "usage": usage}
            )
        finally:
            self.active -= 1

    async def _rerank(self, request: web.Request) -> web.Response:
        try:
            doc = await self._enter(request) or {}
            documents = doc.get("documents") or []
            results = [
                {"index": i, "relevance_score": RERANK_LOGITS[i % len(RERANK_LOGITS)]}
                for i, _ in enumerate(documents)
            ]
            usage = {"prompt_tokens": 11, "total_tokens": 11}
            return web.json_response(
                {"model": doc.get("model"), "results": results, "usage": usage}
            )
        finally:
            self.active -= 1

    async def _transcribe(self, request: web.Request) -> web.Response:
        try:
            await self._enter(request)
            return web.json_response({"text": "hello world"})
        finally:
            self.active -= 1

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        try:
            await self._enter(request)
            response = web.StreamResponse(headers={"Content-Type": "audio/mpeg"})
            await response.prepare(request)
            for _ in range(3):
                await response.write(b"\xff\xf3" + b"\x00" * 30)
            return response
        finally:
            self.active -= 1

    async def _images(self, request: web.Request) -> web.Response:
        try:
            doc = await self._enter(request) or {}
            fmt = doc.get("response_format", "url")
            item = {"b64_json": "iVBORw0KGgo="} if fmt == "b64_json" else {"url": "http://x/i.png"}
            return web.json_response({"created": 1, "data": [item]})
        finally:
            self.active -= 1


def unused_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
