"""The worker's HTTP API: health, instance logs, a streaming proxy to the engines, and
removing model files from the cache.

Only the server calls it, for logs, for inference requests to engines that listen on this
worker's loopback, and to clean up deleted model files. It presents the credential it derived
for this worker alone (handed over at registration); the cluster token, which every worker
knows, opens nothing here. The
proxy passes bodies through chunk by chunk in both directions, so server-sent events reach
the client as the engine writes them.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Protocol

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from gpustack.schemas.models import SourceKind
from gpustack.worker.downloads import DownloadSource
from gpustack.worker.instance_starter import ENGINE_HOST
from gpustack.worker.supervisor import InstanceStatus, follow, tail

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus ours to the worker.
_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "authorization",
    }
)
_DEFAULT_TAIL = 200
_MAX_TAIL = 100_000
# Idle connections to engines are dropped before the engine drops them: vLLM and SGLang
# (uvicorn) and llama.cpp's server close them after 5 s, and a request sent on one just as it
# closes fails (a proxied body cannot be sent again). Loopback connections are cheap to open.
ENGINE_KEEP_ALIVE_S = 2.0
# Longer than the gateway keeps an idle connection to a worker (60 s), for the same reason.
API_KEEP_ALIVE_S = 75.0


class InstanceLookup(Protocol):
    """What the API needs from the supervisor: where an instance listens and logs."""

    def status_of(self, instance_id: int) -> InstanceStatus | None: ...

    def log_path(self, instance_id: int) -> Path: ...


class ModelFileRemover(Protocol):
    """Removes a model file's download from this worker's cache; returns the bytes freed."""

    async def remove(self, file_id: int, source: DownloadSource) -> int: ...


SUPERVISOR = web.AppKey("supervisor", InstanceLookup)
MODEL_FILES = web.AppKey("model_files", ModelFileRemover)
CREDENTIAL: web.AppKey[Callable[[], str | None]] = web.AppKey("credential")
UPSTREAM = web.AppKey("upstream", aiohttp.ClientSession)
LOG_POLL_INTERVAL = web.AppKey("log_poll_interval_s", float)


def create_worker_app(
    supervisor: InstanceLookup,
    credential: Callable[[], str | None],
    *,
    log_poll_interval_s: float = 0.2,
    model_files: ModelFileRemover | None = None,
) -> web.Application:
    """The aiohttp application serving the worker API.

    `credential` gives the value callers must send (it changes when the worker registers
    again); None refuses every caller.
    """
    app = web.Application(middlewares=[_require_server_credential])
    if model_files is not None:
        app[MODEL_FILES] = model_files
        app.router.add_delete("/model-files/{id:\\d+}", _remove_model_file)
    app[SUPERVISOR] = supervisor
    app[CREDENTIAL] = credential
    app[LOG_POLL_INTERVAL] = log_poll_interval_s
    app.cleanup_ctx.append(_upstream_session)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/instances/{id:\\d+}/logs", _logs)
    app.router.add_route("*", "/proxy/instances/{id:\\d+}/{path:.*}", _proxy)
    return app


def api_runner(app: web.Application) -> web.AppRunner:
    """A runner for the worker app: a caller that hangs up cancels its handler.

    Cancelling matters for the proxy (an abandoned generation stops reading the engine) and
    for log follows (they would wait for the next line forever).
    """
    return web.AppRunner(
        app,
        handler_cancellation=True,
        shutdown_timeout=2.0,
        access_log=None,
        keepalive_timeout=API_KEEP_ALIVE_S,
    )


async def _upstream_session(app: web.Application) -> AsyncIterator[None]:
    # No total timeout: generations may stream for many minutes. No decompression: bodies
    # pass through exactly as the engine encoded them.
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=ENGINE_KEEP_ALIVE_S)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=connector, auto_decompress=False
    ) as session:
        app[UPSTREAM] = session
        yield


@web.middleware
async def _require_server_credential(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == "/healthz":
        return await handler(request)
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip()
    expected = request.app[CREDENTIAL]()
    if (
        not expected
        or not header.startswith("Bearer ")
        or not hmac.compare_digest(token.encode(), expected.encode())
    ):
        return _error(401, "the worker API answers only its server's credential for this worker")
    return await handler(request)


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _logs(request: web.Request) -> web.StreamResponse:
    instance_id = int(request.match_info["id"])
    try:
        lines = min(max(int(request.query.get("tail", _DEFAULT_TAIL)), 0), _MAX_TAIL)
    except ValueError:
        return _error(400, "tail must be a number of lines")
    following = request.query.get("follow", "false").lower() in ("1", "true", "yes")
    supervisor = request.app[SUPERVISOR]
    path = supervisor.log_path(instance_id)
    if supervisor.status_of(instance_id) is None and not path.exists():
        return _error(404, f"no logs for instance {instance_id} on this worker")
    response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
    await response.prepare(request)
    if following:
        interval = request.app[LOG_POLL_INTERVAL]
        async for line in follow(path, lines, poll_interval=interval):
            await response.write(line.encode() + b"\n")
    else:
        text = "".join(f"{line}\n" for line in await asyncio.to_thread(tail, path, lines))
        await response.write(text.encode())
    await response.write_eof()
    return response


async def _remove_model_file(request: web.Request) -> web.Response:
    """``?source=huggingface|model_scope&repo_id=owner/name[&filename=glob]``."""
    query = request.query
    try:
        kind = SourceKind(query.get("source", ""))
        if kind is SourceKind.LOCAL_PATH:
            raise ValueError("files of a local path are the user's own: nothing to remove")
        source = DownloadSource(kind, query.get("repo_id"), query.get("filename") or None)
    except ValueError as exc:
        return _error(400, f"cannot tell which files to remove: {exc}")
    freed = await request.app[MODEL_FILES].remove(int(request.match_info["id"]), source)
    return web.json_response({"freed": freed})


async def _proxy(request: web.Request) -> web.StreamResponse:
    instance_id = int(request.match_info["id"])
    status = request.app[SUPERVISOR].status_of(instance_id)
    if status is None or status.state is None or status.state.value != "running":
        return _error(503, f"instance {instance_id} is not running on this worker")
    url = f"http://{ENGINE_HOST}:{status.port}/{request.match_info['path']}"
    headers = CIMultiDict(
        (k, v) for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS
    )
    body = request.content if request.body_exists else None
    session = request.app[UPSTREAM]
    response: web.StreamResponse | None = None
    try:
        async with session.request(
            request.method,
            url,
            params=request.query,
            headers=headers,
            data=body,
            allow_redirects=False,
        ) as upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in upstream.headers.items():
                if key.lower() not in _HOP_HEADERS and key.lower() != "content-length":
                    response.headers.add(key, value)
            if upstream.content_length is not None:
                response.content_length = upstream.content_length
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response
    except aiohttp.ClientConnectionError as exc:
        if response is not None and response.prepared:
            # Headers already went out: all that is left is to cut the stream.
            raise
        return _error(502, f"instance {instance_id} did not answer: {exc}")


def _error(status: int, message: str) -> web.Response:
    body = {"code": status, "reason": HTTPStatus(status).phrase, "message": message}
    return web.json_response(body, status=status)
