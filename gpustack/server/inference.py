"""Plugs the OpenAI-compatible gateway into the server under its `PREFIXES`."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from gpustack.db.engine import is_sqlite
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.models import ModelPublic
from gpustack.server.context import ServerContext
from gpustack.server.gateway import GatewayApp, GatewaySettings
from gpustack.server.gateway.activity_store import DatabaseActivitySink
from gpustack.server.gateway.limits import Limiter, RateLimiter
from gpustack.server.gateway.prefixes import PREFIXES
from gpustack.server.gateway.shared_limits import SharedRateLimiter
from gpustack.server.gateway.usage_store import DatabaseUsageSink
from gpustack.server.rate_counters import DatabaseCounterStore
from gpustack.server.services.request_log_store import DatabaseRequestLogSink


def build_gateway(ctx: ServerContext) -> GatewayApp:
    config = ctx.config
    settings = GatewaySettings(
        total_timeout_s=config.upstream_total_timeout,
        stream_idle_timeout_s=config.upstream_idle_timeout,
        max_body_bytes=config.max_body_bytes,
        request_log_max_body=config.request_log_max_body,
    )
    request_log = DatabaseRequestLogSink(ctx.sessions, config.request_log_max_body)

    def published(model_id: int, shown: ModelPublic) -> None:
        ctx.publish(ResourceKind.MODELS, EventType.UPDATED, model_id, shown)

    return GatewayApp(
        settings,
        ctx.authenticator,
        ctx.routes,
        DatabaseUsageSink(ctx.sessions),
        request_log_sink=request_log,
        limiter=build_limiter(ctx),
        activity=DatabaseActivitySink(ctx.sessions, published),
    )


def build_limiter(ctx: ServerContext) -> Limiter:
    """On PostgreSQL (where several servers may run) limits are counted in the database;
    on SQLite (one server) in the process."""
    if is_sqlite(ctx.config.resolved_database_url):
        return RateLimiter()
    return SharedRateLimiter(DatabaseCounterStore(ctx.engine))


class _LateBoundGateway:
    """The gateway needs the database-backed context, which exists only after startup."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx: ServerContext = self._app.state.ctx
        await ctx.gateway(scope, receive, send)


class InferenceFirst:
    """The server's outermost ASGI app: the gateway's prefixes go straight to the gateway.

    The gateway is the hot path; FastAPI's middleware stack and route matching would wrap
    every request and every streamed chunk. Everything else (and all of it when CORS is on,
    since the CORS middleware lives in FastAPI) goes to the FastAPI app.
    """

    def __init__(self, app: FastAPI, enabled: bool = True) -> None:
        self._app = app
        self._enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._enabled and scope["type"] == "http":
            path: str = scope["path"]
            for prefix in PREFIXES:
                if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] in ("", "/"):
                    ctx: ServerContext = self._app.state.ctx
                    root = scope.get("root_path", "") + prefix
                    await ctx.gateway({**scope, "root_path": root}, receive, send)
                    return
        await self._app(scope, receive, send)


def mount_gateway(app: FastAPI) -> None:
    late = _LateBoundGateway(app)
    for prefix in PREFIXES:
        app.mount(prefix, late)
