"""The gateway as one raw ASGI application, mounted at `/v1` and `/v1-openai`.

A request's way: route (this module) → auth → balancer → upstream → streaming / normalize →
usage, limits and metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.datastructures import Headers

from .asgi import Receive, Scope, Send
from .auth import Authenticator, authenticate_for_inference
from .balancer import Balancer
from .errors import GatewayError, model_not_found, no_instance, normalize_upstream_error
from .errors import upstream_timeout as timeout_error
from .exchange import Exchange
from .jsonio import dumps, loads
from .limits import RateLimiter
from .metrics import GatewayMetrics
from .normalize import embeddings_response, ensure_usage, rerank_response
from .operations import OPERATIONS, Kind, Operation, Prepared, prepare
from .request import InferenceRequest, parse_json_request, parse_multipart_request, read_body
from .responses import JSON, SSE_HEADERS, send_bytes, send_chunk, send_error, start_stream
from .routes import Endpoint, ModelRoute, RouteTable
from .settings import BalancerMode, GatewaySettings
from .streaming import SseRelay, error_event
from .upstream import (
    AiohttpTransport,
    Transport,
    UpstreamBroken,
    UpstreamConnectError,
    UpstreamResponse,
    UpstreamTimeout,
)
from .usage import UsageRecorder, UsageSink

logger = logging.getLogger(__name__)

_PREFIXES = ("/v1-openai", "/v1")


class GatewayApp:
    """OpenAI-compatible inference gateway (pure ASGI).

    Call `startup()` before serving and `shutdown()` after (or run it as a standalone ASGI app
    whose lifespan does both). `metrics.render()` gives the Prometheus text for `/metrics`.
    """

    def __init__(
        self,
        settings: GatewaySettings,
        authenticator: Authenticator,
        routes: RouteTable,
        usage_sink: UsageSink,
        metrics: GatewayMetrics | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings
        self.routes = routes
        self.metrics = metrics or GatewayMetrics()
        self.balancer = Balancer(settings.affinity_load_factor)
        self.limiter = RateLimiter()
        self.usage = UsageRecorder(
            usage_sink,
            batch_size=settings.usage_batch_size,
            flush_interval_s=settings.usage_flush_interval_s,
            queue_size=settings.usage_queue_size,
        )
        self._auth = authenticator
        self._transport = transport or AiohttpTransport(settings)
        self._affinity_chars = (
            settings.affinity_prefix_chars
            if settings.balancer is BalancerMode.PREFIX_AFFINITY
            else 0
        )

    async def startup(self) -> None:
        await self._transport.start()
        await self.usage.start()

    async def shutdown(self) -> None:
        await self.usage.stop()
        await self._transport.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _route_path(scope)
        method = scope["method"]
        try:
            op = OPERATIONS.get(path)
            if op is not None:
                if method != "POST":
                    raise GatewayError(405, f"Use POST for {path}.", code="method_not_allowed")
                await self._infer(scope, receive, send, op)
            elif path == "/models" or path.startswith("/models/"):
                if method != "GET":
                    raise GatewayError(405, f"Use GET for {path}.", code="method_not_allowed")
                await self._models(scope, send, path)
            else:
                raise GatewayError(404, f"Unknown path {path}.", code="not_found")
        except GatewayError as exc:
            await send_error(send, exc)

    # -- GET /models -------------------------------------------------------------------------

    async def _models(self, scope: Scope, send: Send, path: str) -> None:
        principal = await authenticate_for_inference(self._auth, Headers(scope=scope))
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        with_meta = query.get("with_meta", ["false"])[-1].lower() in ("1", "true", "yes")
        if path == "/models":
            items = [
                _model_entry(r, with_meta)
                for r in self.routes.all()
                if r.endpoints and principal.may_use_model(r.name)
            ]
            await send_bytes(send, 200, JSON, dumps({"object": "list", "data": items}))
            return
        name = unquote(path[len("/models/") :])
        route = self.routes.get(name)
        if route is None or not route.endpoints or not principal.may_use_model(name):
            raise model_not_found(name)
        await send_bytes(send, 200, JSON, dumps(_model_entry(route, with_meta)))

    # -- POST inference routes ---------------------------------------------------------------

    async def _infer(self, scope: Scope, receive: Receive, send: Send, op: Operation) -> None:
        ex = Exchange(op.name, time.perf_counter(), time.time())
        try:
            ex.principal = await authenticate_for_inference(self._auth, Headers(scope=scope))
            request = await self._read_request(scope, receive, op)
            route = self.routes.get(request.model)
            if route is None or not ex.principal.may_use_model(request.model):
                raise model_not_found(request.model)
            ex.route = route
            prepared = prepare(op, request, route, self._affinity_chars)
            ex.stream = prepared.stream
            self.limiter.admit(ex.principal)
            if prepared.rerank is not None and not prepared.rerank.documents:
                body = {"model": route.name, "results": [], "usage": {"total_tokens": 0}}
                await send_bytes(send, 200, JSON, dumps(body))
                return
            if not route.endpoints:
                raise no_instance(route.name)
            await self._forward_until_disconnect(receive, send, op, request, route, prepared, ex)
        except GatewayError as exc:
            ex.status = exc.status
            if not ex.response_started:
                await send_error(send, exc)
        finally:
            self._account(ex)

    async def _read_request(
        self, scope: Scope, receive: Receive, op: Operation
    ) -> InferenceRequest:
        body = await read_body(receive, self.settings.max_body_bytes)
        content_type = ""
        for key, value in scope["headers"]:
            if key == b"content-type":
                content_type = value.decode("latin-1")
                break
        if op.multipart:
            return parse_multipart_request(body, content_type)
        return parse_json_request(body, content_type or "application/json")

    async def _forward_until_disconnect(
        self,
        receive: Receive,
        send: Send,
        op: Operation,
        request: InferenceRequest,
        route: ModelRoute,
        prepared: Prepared,
        ex: Exchange,
    ) -> None:
        """Forward, cancelling the upstream request when the client goes away.

        Watching for the disconnect costs a task per request, so it starts only once a request
        has run for `disconnect_watch_after_s`: quick answers never pay for it, and the
        long generations worth cancelling are covered.
        """
        handler = asyncio.current_task()
        assert handler is not None
        loop = asyncio.get_running_loop()
        disconnected = False
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            nonlocal disconnected
            while (await receive())["type"] != "http.disconnect":
                pass
            disconnected = True
            handler.cancel()

        def start_watching() -> None:
            nonlocal watcher
            watcher = loop.create_task(watch())

        timer = loop.call_later(self.settings.disconnect_watch_after_s, start_watching)
        try:
            await self._forward(send, op, request, route, prepared, ex)
        except asyncio.CancelledError:
            if not disconnected:
                raise
            handler.uncancel()
            ex.status = 499
            ex.response_started = True  # nobody is left to answer
        finally:
            timer.cancel()
            if watcher is not None:
                watcher.cancel()

    async def _forward(
        self,
        send: Send,
        op: Operation,
        request: InferenceRequest,
        route: ModelRoute,
        prepared: Prepared,
        ex: Exchange,
    ) -> None:
        endpoint, response = await self._connect(op, request, route, prepared)
        ex.instance_id = endpoint.instance_id
        gauge = self.metrics.in_flight_gauge(route.name, endpoint.instance_id)
        gauge.inc()
        try:
            ok = 200 <= response.status < 300
            if ok and prepared.stream and response.content_type.startswith("text/event-stream"):
                await self._relay_events(send, response, prepared, ex)
            elif ok and op.kind is Kind.SPEECH:
                await self._relay_bytes(send, response, ex)
            else:
                await self._answer_whole(send, op, response, route, prepared, ex)
        finally:
            gauge.dec()
            response.release()
            self.balancer.release(endpoint)

    async def _connect(
        self, op: Operation, request: InferenceRequest, route: ModelRoute, prepared: Prepared
    ) -> tuple[Endpoint, UpstreamResponse]:
        """Pick an instance and send; an instance that cannot be reached is left for the next."""
        tried: set[int] = set()
        dropped: set[int] = set()
        while True:
            endpoint = self.balancer.pick(route.endpoints, tried, prepared.affinity_key)
            if endpoint is None:
                raise GatewayError(
                    503,
                    f"No instance of '{route.name}' could be reached.",
                    type="service_unavailable",
                    code="no_reachable_instance",
                )
            headers = {"Content-Type": request.content_type, "Accept-Encoding": "identity"}
            if endpoint.headers:
                headers.update(endpoint.headers)
            if prepared.stream and route.backend in self.settings.close_after_stream_backends:
                headers["Connection"] = "close"
            self.balancer.acquire(endpoint)
            try:
                response = await self._transport.send(
                    endpoint.base_url + op.upstream_path,
                    headers,
                    prepared.body,
                    stream=prepared.stream or op.kind is Kind.SPEECH,
                )
            except UpstreamConnectError as exc:
                self.balancer.release(endpoint)
                logger.warning("instance %s unreachable: %s", endpoint.instance_id, exc)
                if not exc.refused and endpoint.instance_id not in dropped:
                    dropped.add(endpoint.instance_id)  # a stale keep-alive connection
                else:
                    tried.add(endpoint.instance_id)
                continue
            except UpstreamTimeout:
                self.balancer.release(endpoint)
                raise timeout_error(route.name) from None
            except BaseException:
                self.balancer.release(endpoint)
                raise
            return endpoint, response

    async def _relay_events(
        self, send: Send, response: UpstreamResponse, prepared: Prepared, ex: Exchange
    ) -> None:
        relay = SseRelay(prepared.prompt_estimate, prepared.strip_usage_events)
        await start_stream(send, response.status, SSE_HEADERS)
        ex.response_started = True
        tail = b""
        try:
            async for chunk in response.iter_chunks():
                out = relay.feed(chunk)
                if ex.ttft_s is None and relay.first_token_seen:
                    ex.ttft_s = time.perf_counter() - ex.started
                if out:
                    await send_chunk(send, out)
            tail = relay.finish()
        except UpstreamTimeout:
            ex.status = 504
            tail = relay.finish() + error_event(
                "The engine went silent for too long.", "timeout_error", "upstream_timeout"
            )
        except UpstreamBroken as exc:
            ex.status = 502
            tail = relay.finish() + error_event(
                f"The engine's answer broke off: {exc}", "server_error", "upstream_broken"
            )
        ex.take_usage(relay.usage)
        await send_chunk(send, tail, more=False)

    async def _relay_bytes(self, send: Send, response: UpstreamResponse, ex: Exchange) -> None:
        headers = [(b"content-type", response.content_type.encode() or b"application/octet-stream")]
        await start_stream(send, response.status, headers)
        ex.response_started = True
        try:
            async for chunk in response.iter_chunks():
                await send_chunk(send, chunk)
        except (UpstreamTimeout, UpstreamBroken):
            ex.status = 502  # the client sees a truncated body; nothing else can be said
        await send_chunk(send, b"", more=False)

    async def _answer_whole(
        self,
        send: Send,
        op: Operation,
        response: UpstreamResponse,
        route: ModelRoute,
        prepared: Prepared,
        ex: Exchange,
    ) -> None:
        try:
            body = await response.read()
        except UpstreamTimeout:
            raise timeout_error(route.name) from None
        except UpstreamBroken as exc:
            raise GatewayError(
                502, f"The engine's answer broke off: {exc}", type="server_error"
            ) from None
        status = response.status
        ex.status = status
        content_type = response.content_type.encode() or JSON
        if status >= 400:
            body, content_type = normalize_upstream_error(status, body), JSON
        elif op.kind in (Kind.CHAT, Kind.COMPLETION, Kind.EMBEDDINGS, Kind.RERANK):
            body = self._normalize(op, body, route, prepared, ex)
        await send_bytes(send, status, content_type, body)

    def _normalize(
        self, op: Operation, body: bytes, route: ModelRoute, prepared: Prepared, ex: Exchange
    ) -> bytes:
        try:
            doc: Any = loads(body)
        except ValueError:
            return body
        if not isinstance(doc, dict):
            return body
        changed = False
        if op.kind is Kind.RERANK and prepared.rerank is not None:
            logits = route.backend in self.settings.rerank_logit_backends
            doc = rerank_response(doc, prepared.rerank, route.name, logits)
            changed = True
        elif op.kind is Kind.EMBEDDINGS:
            changed = embeddings_response(doc, route.name, prepared.want_base64)
        elif "choices" in doc:
            changed = ensure_usage(doc, prepared.prompt_estimate)
        ex.take_usage(doc.get("usage"))
        return dumps(doc) if changed else body

    # -- accounting ----------------------------------------------------------------------------

    def _account(self, ex: Exchange) -> None:
        duration = time.perf_counter() - ex.started
        model = ex.route.name if ex.route is not None else ""
        self.metrics.observe(
            model,
            ex.operation,
            ex.status,
            duration,
            ex.ttft_s,
            ex.prompt_tokens,
            ex.completion_tokens,
        )
        if ex.principal is not None and ex.total_tokens:
            self.limiter.spend(ex.principal, ex.total_tokens)
        record = ex.usage_record(duration)
        if record is not None:
            self.usage.record(record)


def _route_path(scope: Scope) -> str:
    """The path below the mount point (`/chat/completions`), also when served standalone."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    for prefix in _PREFIXES:
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    return path


def _model_entry(route: ModelRoute, with_meta: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": route.name,
        "object": "model",
        "created": route.created_at,
        "owned_by": "gpustack",
    }
    if with_meta:
        entry["categories"] = list(route.categories)
        entry["context_length"] = route.context_length
        entry["capabilities"] = list(route.capabilities)
    return entry
