"""A benchmark stand-in for an inference engine: answers instantly, so that what a benchmark
measures is the layers in front of it.

Run: `python benchmarks/standin_upstream.py PORT` (a `custom` backend command:
`python benchmarks/standin_upstream.py {{port}}`). Serves `GET /health`, `GET /v1/models` and
`POST /v1/chat/completions`: a fixed answer, or with `"stream": true` 64 SSE chunks, a usage
event and `data: [DONE]`. Nothing here generates text.
"""

from __future__ import annotations

import json
import sys

from aiohttp import web

STREAM_CHUNKS = 64
USAGE = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}


def _answer(model: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "pong"},
                    "finish_reason": "length",
                }
            ],
            "usage": USAGE,
        }
    ).encode()


def _chunk(model: str) -> bytes:
    event = {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": {"content": "tok "}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def _tail(model: str) -> bytes:
    event = {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [],
        "usage": USAGE,
    }
    return b"data: " + json.dumps(event).encode() + b"\n\ndata: [DONE]\n\n"


async def chat(request: web.Request) -> web.StreamResponse:
    doc = await request.json()
    model = str(doc.get("model", "standin"))
    if not doc.get("stream"):
        return web.Response(body=_answer(model), content_type="application/json")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    chunk = _chunk(model)
    for _ in range(STREAM_CHUNKS):
        await response.write(chunk)
    await response.write(_tail(model))
    return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def models(request: web.Request) -> web.Response:
    return web.json_response({"object": "list", "data": [{"id": "standin", "object": "model"}]})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/health", health)
    app.router.add_get("/v1/models", models)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
