"""Model routes in the gateway: a target picked by weight, then the targets that take its
failure, for as long as nothing reached the client (a stream never switches once started)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from gpustack.engines.base import ResponseQuirks
from gpustack.server.security.principal import Principal

from .asgi import Send
from .call import Call, Outcome
from .errors import GatewayError, no_instance
from .fallback import (
    CONTEXT_LENGTH,
    CONTEXT_STATUSES,
    Planner,
    error_kind,
    is_context_length_error,
    status_kind,
    takes,
)
from .jsonio import dumps
from .operations import Operation, UpstreamRequest
from .quirks import UNKNOWN
from .relay import read_whole
from .responses import JSON, send_bytes
from .routes import ModelRoute, PlanTarget, RoutePlan, RouteTable
from .upstream import UpstreamResponse

logger = logging.getLogger(__name__)


class _Diverted(Exception):
    """A target answered a failure that a later attempt of the route takes over."""

    def __init__(self, kind: str, error: GatewayError) -> None:
        super().__init__(error.message)
        self.kind = kind
        self.error = error


class _ReadResponse:
    """An answer already read whole (checked for a context-length error), passed on as is."""

    __slots__ = ("_body", "content_type", "status")

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        self.status = status
        self.content_type = content_type
        self._body = body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        yield self._body

    async def read(self) -> bytes:
        return self._body

    def release(self) -> None:
        pass


class PlanForwarding:
    """The gateway's part that serves a model route's name; `GatewayApp` provides the rest."""

    planner: Planner
    routes: RouteTable
    _quirks: Mapping[str, ResponseQuirks]

    async def _forward(
        self,
        send: Send,
        op: Operation[Any],
        call: Call,
        upstream: UpstreamRequest,
        outcome: Outcome,
        later: Sequence[PlanTarget] = (),
    ) -> None:
        raise NotImplementedError

    async def _forward_plan(
        self,
        send: Send,
        op: Operation[Any],
        plan: RoutePlan,
        principal: Principal,
        body: bytes,
        content_type: str,
        doc: dict[str, Any] | None,
        outcome: Outcome,
        tried: list[Call],
    ) -> None:
        """A model route: the target picked by weight, then what takes its failure, as long as
        nothing reached the client (a stream never switches once it started)."""
        health = self.planner.health
        attempts = self.planner.attempts(plan, time.monotonic())
        failure: GatewayError | None = None
        kind = ""
        for index, target in enumerate(attempts):
            if index and not takes(target, kind):
                continue
            route = target.provider or self.routes.get(target.model)
            if route is None or not route.endpoints:
                failure, kind = no_instance(target.model or plan.name), "connection"
                health.failed(plan, target.key, time.monotonic())
                continue
            call = self._target_call(plan, route, principal, body, content_type, doc)
            tried.append(call)
            upstream = op.prepare(call)
            outcome.stream = upstream.stream
            if upstream.answer is not None:
                await send_bytes(send, 200, JSON, upstream.answer)
                return
            later = attempts[index + 1 :]
            try:
                await self._forward(send, op, call, upstream, outcome, later)
            except _Diverted as exc:
                failure, kind = exc.error, exc.kind
            except GatewayError as exc:
                found = None if outcome.response_started else error_kind(exc)
                if found is not None:
                    health.failed(plan, target.key, time.monotonic())
                if found is None or not any(takes(t, found) for t in later):
                    raise
                failure, kind = exc, found
                logger.info("route %s: %s failed (%s), trying on", plan.name, target.key, kind)
                continue
            else:
                health.succeeded(target.key)
                return
            health.failed(plan, target.key, time.monotonic())
            logger.info("route %s: %s failed (%s), trying on", plan.name, target.key, kind)
        raise failure if failure is not None else no_instance(plan.name)

    def _target_call(
        self,
        plan: RoutePlan,
        route: ModelRoute,
        principal: Principal,
        body: bytes,
        content_type: str,
        doc: dict[str, Any] | None,
    ) -> Call:
        """The request as one target gets it: its own model name in the body (engines and
        providers may check it), the client's document left as it was for the next attempt."""
        if doc is not None:
            name = route.upstream_model or route.name
            if doc.get("model") != name:
                doc = {**doc, "model": name}
                body = dumps(doc)
            else:
                doc = dict(doc)
        quirks = self._quirks.get(route.backend, UNKNOWN)
        return Call(principal, route, quirks, body, content_type, doc, plan.name)

    async def _diverted(
        self, call: Call, response: UpstreamResponse, later: Sequence[PlanTarget]
    ) -> UpstreamResponse:
        """Raise `_Diverted` for an answer a later attempt takes over; else the answer."""
        status = response.status
        kind = status_kind(status)
        if kind is not None:
            if any(takes(t, kind) for t in later):
                message = f"The model '{call.model_name}' answered {status}."
                type_ = "rate_limit_error" if status == 429 else "server_error"
                raise _Diverted(kind, GatewayError(status, message, type=type_))
            return response
        if status in CONTEXT_STATUSES and any(takes(t, CONTEXT_LENGTH) for t in later):
            body = await read_whole(response, call)
            response.release()
            if is_context_length_error(body):
                message = f"The prompt does not fit the context of '{call.model_name}'."
                error = GatewayError(status, message, code="context_length_exceeded")
                raise _Diverted(CONTEXT_LENGTH, error)
            return _ReadResponse(status, response.content_type, body)
        return response
