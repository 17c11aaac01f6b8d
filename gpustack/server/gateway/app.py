"""The gateway as one raw ASGI application, mounted at each of `prefixes.PREFIXES`.

Every inference request takes the same way, whatever its operation: look the operation up by
path → auth → `parse` → route and access → `prepare` → limits → admission (a slot of the
model, or a place in its queue) → balancer → upstream → the operation's `relay` → usage,
limits and metrics. What differs per API lives in its operation module (`operations/`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import replace
from typing import Any

from starlette.datastructures import Headers

from gpustack.engines.base import Engine
from gpustack.engines.registry import default_registry

from .activity import ActivitySink, ActivityTracker
from .admission import Admission
from .asgi import Receive, Scope, Send
from .auth import Authenticator, authenticate_for_inference
from .balancer import Balancer
from .call import Call, Outcome
from .errors import GatewayError, model_not_found, no_instance, upstream_failure
from .fallback import (
    Planner,
)
from .limits import Limiter, RateLimiter
from .metrics import GatewayMetrics
from .model_list import answer_models, is_model_path
from .operations import Operation, UpstreamRequest, default_operations
from .plan_forwarding import PlanForwarding
from .prefixes import route_path
from .quirks import UNKNOWN, quirks_by_backend
from .request import read_body
from .request_log import BodyCapture, RequestLogEntry, RequestLogRecorder, RequestLogSink
from .responses import JSON, send_bytes, send_error
from .routes import Endpoint, ModelRoute, PlanTarget, RouteTable
from .settings import BalancerMode, GatewaySettings
from .upstream import (
    AiohttpTransport,
    Transport,
    UpstreamConnectError,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)
from .usage import UsageRecorder, UsageSink
from .wake import KeepAliveSend, Wakeups

logger = logging.getLogger(__name__)


class GatewayApp(PlanForwarding):
    """OpenAI-compatible inference gateway (pure ASGI).

    Call `startup()` before serving and `shutdown()` after (or run it as a standalone ASGI app
    whose lifespan does both). `metrics.render()` gives the Prometheus text for `/metrics`.
    `engines` (backend name → engine; the shipped registry by default) tells how each
    backend's answers differ from the contract. `operations` (path → operation) are the APIs
    served; `operations.default_operations` by default. `limiter` counts the limits of keys
    and groups (in this process by default). `activity` (the server's database) learns when
    each model was last asked for, and wakes sleeping ones; without it a sleeping model's
    requests wait for whoever wakes it.
    """

    def __init__(
        self,
        settings: GatewaySettings,
        authenticator: Authenticator,
        routes: RouteTable,
        usage_sink: UsageSink,
        metrics: GatewayMetrics | None = None,
        transport: Transport | None = None,
        engines: Mapping[str, Engine] | None = None,
        operations: Mapping[str, Operation[Any]] | None = None,
        request_log_sink: RequestLogSink | None = None,
        limiter: Limiter | None = None,
        activity: ActivitySink | None = None,
    ) -> None:
        self.settings = settings
        self.routes = routes
        self.metrics = metrics or GatewayMetrics()
        self.balancer = Balancer(settings.affinity_load_factor)
        self.limiter: Limiter = limiter or RateLimiter()
        self.admission = Admission(
            self.metrics, settings.max_queue_length, settings.max_queue_wait_s
        )
        self.usage = UsageRecorder(
            usage_sink,
            batch_size=settings.usage_batch_size,
            flush_interval_s=settings.usage_flush_interval_s,
            queue_size=settings.usage_queue_size,
        )
        self.request_log = (
            None if request_log_sink is None else RequestLogRecorder(request_log_sink)
        )
        self.wakeups = Wakeups(routes, None if activity is None else activity.wake)
        self.activity = ActivityTracker(activity, self._busy_models)
        self._auth = authenticator
        self._transport = transport or AiohttpTransport(settings)
        self._quirks = quirks_by_backend(default_registry() if engines is None else engines)
        if operations is None:
            # Keys are made for every prompt; each deployment's `load_balancing` (else the
            # gateway's `balancer`) says whether they are used.
            operations = default_operations(settings.affinity_prefix_chars)
        self._operations = operations
        self.planner = Planner()

    async def startup(self) -> None:
        self.routes.add_listener(self.admission.sync)
        self.routes.add_listener(self.wakeups.sync)
        await self._transport.start()
        await self.usage.start()
        if self.request_log is not None:
            await self.request_log.start()
        await self.limiter.start()
        await self.activity.start()

    async def shutdown(self) -> None:
        self.routes.remove_listener(self.admission.sync)
        self.routes.remove_listener(self.wakeups.sync)
        await self.limiter.stop()
        await self.activity.stop()
        await self.usage.stop()
        if self.request_log is not None:
            await self.request_log.stop()
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
        path = route_path(scope)
        method = scope["method"]
        op = self._operations.get(path)
        try:
            if op is not None:
                if method != "POST":
                    raise GatewayError(405, f"Use POST for {path}.", code="method_not_allowed")
                await self._infer(scope, receive, send, op)
            elif is_model_path(path):
                if method != "GET":
                    raise GatewayError(405, f"Use GET for {path}.", code="method_not_allowed")
                await answer_models(scope, send, path, self._auth, self.routes)
            else:
                raise GatewayError(404, f"Unknown path {path}.", code="not_found")
        except GatewayError as exc:
            await send_error(send, exc, None if op is None else op.error_body(exc))

    async def _infer(self, scope: Scope, receive: Receive, send: Send, op: Operation[Any]) -> None:
        outcome = Outcome(time.perf_counter(), time.time())
        call: Call | None = None
        capture: BodyCapture | None = None
        try:
            principal = await authenticate_for_inference(self._auth, Headers(scope=scope))
            body = await read_body(receive, self.settings.max_body_bytes)
            content_type = _content_type(scope)
            model, doc = op.parse(body, content_type)
            route = self.routes.get(model)
            if route is None:
                plan = self.routes.plan(model)
                if plan is None or not principal.may_use_model(model):
                    raise model_not_found(model)
                await self.limiter.admit(principal)
                tried: list[Call] = []
                content_type = content_type or "application/json"
                work = self._forward_plan(
                    send, op, plan, principal, body, content_type, doc, outcome, tried
                )
                try:
                    await self._until_disconnect(receive, outcome, work)
                finally:
                    call = tried[-1] if tried else None
                return
            # A deployment limited to other groups answers as if it did not exist.
            if not principal.may_call(model, route.access_groups):
                raise model_not_found(model)
            self.activity.seen(route.model_id, outcome.arrived)
            quirks = self._quirks.get(route.backend, UNKNOWN)
            call = Call(principal, route, quirks, body, content_type or "application/json", doc)
            if route.request_log or principal.request_log:
                send = capture = BodyCapture(send, self.settings.request_log_max_body)
            upstream = op.prepare(call)
            outcome.stream = upstream.stream
            await self.limiter.admit(principal)
            if upstream.answer is not None:
                await send_bytes(send, 200, JSON, upstream.answer)
                return
            if not route.endpoints and not route.wakeable:
                raise no_instance(route.name)
            work = self._forward(send, op, call, upstream, outcome)
            await self._until_disconnect(receive, outcome, work)
        except GatewayError as exc:
            outcome.status = exc.status
            if not outcome.response_started:
                await send_error(send, exc, op.error_body(exc))
        finally:
            self._account(op, call, outcome)
            if capture is not None and call is not None:
                self._log_request(op, call, outcome, capture)

    async def _until_disconnect(
        self, receive: Receive, outcome: Outcome, work: Coroutine[Any, Any, None]
    ) -> None:
        """Forward (`work`), cancelling the upstream request when the client goes away.

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
            await work
        except asyncio.CancelledError:
            if not disconnected:
                raise
            handler.uncancel()
            outcome.status = 499
            outcome.response_started = True  # nobody is left to answer
        finally:
            timer.cancel()
            if watcher is not None:
                watcher.cancel()

    async def _forward(
        self,
        send: Send,
        op: Operation[Any],
        call: Call,
        upstream: UpstreamRequest,
        outcome: Outcome,
        later: Sequence[PlanTarget] = (),
    ) -> None:
        """Admission, balancer, upstream, relay. `later` are the route's attempts after this
        one: a failure one of them takes is raised as `_Diverted` before the relay starts."""
        if not call.route.endpoints:
            call, send = await self._hold(call, send, upstream.stream, outcome)
        gate = self.admission.gate(call.route)
        queued = not gate.try_enter()
        if queued:
            await gate.wait()
        try:
            if queued:
                call = self._rerouted(call)
            endpoint, response = await self._connect(op, call, upstream)
            outcome.instance_id = endpoint.instance_id
            gauge = self.metrics.in_flight_gauge(call.route.name, endpoint.instance_id)
            gauge.inc()
            try:
                if later:
                    response = await self._diverted(call, response, later)
                await op.relay(call, upstream, response, send, outcome)
            finally:
                gauge.dec()
                response.release()
                self.balancer.release(endpoint)
        finally:
            gate.leave()

    async def _hold(
        self, call: Call, send: Send, stream: bool, outcome: Outcome
    ) -> tuple[Call, Send]:
        """Wait for a sleeping (or waking) model to gain an endpoint; streams get keep-alives."""
        if not stream:
            return self._woken(call, await self.wakeups.hold(call.route)), send
        keepalive = KeepAliveSend(send, self.settings.wake_keepalive_s)
        try:
            woken = self._woken(call, await keepalive.during(self.wakeups.hold(call.route)))
        except GatewayError as exc:
            if keepalive.started:
                await keepalive.fail(exc)
                outcome.response_started = True
            raise
        if keepalive.started:
            outcome.response_started = True
        return woken, keepalive

    def _woken(self, call: Call, route: ModelRoute) -> Call:
        if not route.endpoints:
            raise no_instance(route.name)
        quirks = self._quirks.get(route.backend, UNKNOWN)
        return replace(call, route=route, quirks=quirks)

    def _busy_models(self) -> list[int]:
        """Models with requests running, queued or held here: not idle, whatever their age."""
        busy = self.admission.busy()
        busy.extend(r.model_id for r in self.routes.all() if self.wakeups.waiting(r.name))
        return busy

    def _rerouted(self, call: Call) -> Call:
        """After a wait in the queue: the model's instances as they are now."""
        if call.route.is_provider:
            return call
        name = call.route.name
        route = self.routes.get(name)
        if route is None:
            raise model_not_found(name)
        if not route.endpoints:
            raise no_instance(name)
        return call if route is call.route else replace(call, route=route)

    async def _connect(
        self, op: Operation[Any], call: Call, upstream: UpstreamRequest
    ) -> tuple[Endpoint, UpstreamResponse]:
        """Pick an instance and send; an instance that cannot be reached is left for the next."""
        route = call.route
        mode = route.load_balancing or self.settings.balancer
        affinity_key = upstream.affinity_key if mode == BalancerMode.PREFIX_AFFINITY else None
        tried: set[int] = set()
        dropped: set[int] = set()
        unreachable: UpstreamConnectError | None = None
        while True:
            endpoint = self.balancer.pick(route.endpoints, tried, affinity_key)
            if endpoint is None:
                if unreachable is None:  # not reached: only tried instances are left out
                    unreachable = UpstreamConnectError("no instance to try")
                raise upstream_failure(unreachable, route.name)
            headers = {"Content-Type": call.content_type, "Accept-Encoding": "identity"}
            if endpoint.headers:
                headers.update(endpoint.headers)
            if upstream.stream and call.quirks.closes_after_stream:
                headers["Connection"] = "close"
            self.balancer.acquire(endpoint)
            try:
                sending = self._transport.send(
                    endpoint.base_url + op.upstream_path,
                    headers,
                    upstream.body,
                    stream=upstream.chunked,
                )
                if route.timeout_s is None:
                    response = await sending
                else:
                    response = await _within(route.timeout_s, sending)
            except UpstreamConnectError as exc:
                self.balancer.release(endpoint)
                logger.warning("instance %s unreachable: %s", endpoint.instance_id, exc)
                unreachable = exc
                if not exc.refused and endpoint.instance_id not in dropped:
                    dropped.add(endpoint.instance_id)  # a stale keep-alive connection
                else:
                    tried.add(endpoint.instance_id)
                continue
            except UpstreamError as exc:
                self.balancer.release(endpoint)
                raise upstream_failure(exc, route.name) from None
            except BaseException:
                self.balancer.release(endpoint)
                raise
            return endpoint, response

    def _account(self, op: Operation[Any], call: Call | None, outcome: Outcome) -> None:
        duration = time.perf_counter() - outcome.started
        self.metrics.observe(
            call.model_name if call is not None else "",
            op.name,
            outcome.status,
            duration,
            outcome.ttft_s,
            outcome.prompt_tokens,
            outcome.completion_tokens,
        )
        if call is None:
            return
        if outcome.total_tokens:
            self.limiter.spend(call.principal, outcome.total_tokens)
        self.usage.record(outcome.usage_record(op.name, call, duration))

    def _log_request(
        self, op: Operation[Any], call: Call, outcome: Outcome, capture: BodyCapture
    ) -> None:
        if self.request_log is None:
            return
        self.request_log.record(
            RequestLogEntry(
                timestamp=outcome.arrived,
                user_id=call.principal.user_id,
                api_key_id=call.principal.api_key_id,
                model_id=call.route.model_id,
                model_name=call.route.name,
                operation=op.name,
                status_code=outcome.status,
                stream=outcome.stream,
                duration_ms=(time.perf_counter() - outcome.started) * 1000.0,
                request_content_type=call.content_type,
                request_body=call.body[: self.settings.request_log_max_body],
                request_size=len(call.body),
                response_content_type=capture.content_type,
                response_body=b"".join(capture.chunks),
                captured_all=capture.captured_all,
            )
        )


async def _within(
    seconds: float, sending: Coroutine[Any, Any, UpstreamResponse]
) -> UpstreamResponse:
    """A provider's own timeout until its answer starts."""
    try:
        async with asyncio.timeout(seconds):
            return await sending
    except TimeoutError as exc:
        raise UpstreamTimeout(f"no answer within {seconds:g} s") from exc


def _content_type(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return str(value.decode("latin-1"))
    return ""
