"""Holding requests for a model that sleeps (or is waking) until it has an endpoint.

The first request for a sleeping model asks for a wake once (`wake`); every request held
meanwhile awaits the same future, which the route table resolves when the model gains an
endpoint. So a burst during a wake-up starts one engine, and nothing is polled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from .asgi import Message, Send
from .errors import GatewayError
from .routes import ModelRoute, RouteTable

logger = logging.getLogger(__name__)

Wake = Callable[[int], Awaitable[None]]


def wake_timeout(name: str, seconds: float) -> GatewayError:
    return GatewayError(
        503,
        f"The model '{name}' did not wake within {seconds:g} s. Try again later.",
        type="service_unavailable",
        code="wake_timeout",
    )


class Wakeups:
    """One future per model being waited for; `sync` is a route table listener."""

    def __init__(self, routes: RouteTable, wake: Wake | None) -> None:
        self._routes = routes
        self._wake = wake
        self._ready: dict[str, asyncio.Future[None]] = {}
        self._held: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def waiting(self, name: str) -> int:
        """Requests held for that model right now."""
        return self._held.get(name, 0)

    def sync(self, routes: Mapping[str, ModelRoute]) -> None:
        for name, ready in list(self._ready.items()):
            route = routes.get(name)
            if route is None or route.endpoints:
                del self._ready[name]
                if not ready.done():
                    ready.set_result(None)

    async def hold(self, route: ModelRoute) -> ModelRoute:
        """The model's route once it has an endpoint; 503 wake_timeout if that takes too long.

        A model deleted meanwhile comes back as its last route (the caller answers it).
        """
        name = route.name
        ready = self._ready.get(name)
        if ready is None:
            ready = self._ready[name] = asyncio.get_running_loop().create_future()
            current = self._routes.get(name) or route
            if current.endpoints:  # gained one while this request was on its way
                self.sync({name: current})
            elif current.sleeping and self._wake is not None:
                task = asyncio.create_task(self._ask(current.model_id, name))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        self._held[name] = self._held.get(name, 0) + 1
        try:
            await asyncio.wait_for(asyncio.shield(ready), route.wake_timeout_s)
        except TimeoutError:
            raise wake_timeout(name, route.wake_timeout_s) from None
        finally:
            left = self._held[name] - 1
            if left:
                self._held[name] = left
            else:
                del self._held[name]
        return self._routes.get(name) or route

    async def _ask(self, model_id: int, name: str) -> None:
        assert self._wake is not None
        try:
            await self._wake(model_id)
        except Exception:
            # The held requests time out unless a later request asks again.
            logger.exception("waking %s failed", name)
            ready = self._ready.pop(name, None)
            if ready is not None and not ready.done():
                ready.set_exception(
                    GatewayError(
                        503,
                        f"The model '{name}' could not be woken. Try again later.",
                        type="service_unavailable",
                        code="wake_failed",
                    )
                )


class KeepAliveSend:
    """Sends `: waking` SSE comments to a streaming client while its request is held.

    The first goes out after `interval_s` (a quick wake commits nothing). Once the response
    has started, the answer that follows keeps it: its own start is dropped, and an error
    answer is passed on as one SSE `data:` event, the way streams report errors.
    """

    def __init__(self, send: Send, interval_s: float) -> None:
        self._send = send
        self._interval_s = interval_s
        self.started = False
        self._error_status = False

    async def during(self, held: Awaitable[ModelRoute]) -> ModelRoute:
        task = asyncio.ensure_future(held)
        try:
            while True:
                done, _ = await asyncio.wait([task], timeout=self._interval_s)
                if done:
                    return task.result()
                await self._comment()
        finally:
            task.cancel()

    async def fail(self, exc: GatewayError) -> None:
        """Answer an error on the started stream, and end it."""
        body = b"data: " + exc.body() + b"\n\n"
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    async def __call__(self, message: Message) -> None:
        if not self.started:
            await self._send(message)
        elif message["type"] == "http.response.start":
            self._error_status = int(message["status"]) >= 400
        elif self._error_status and message["type"] == "http.response.body":
            body = message.get("body", b"")
            wrapped = b"data: " + body + b"\n\n" if body.strip() else b""
            await self._send({**message, "body": wrapped})
        else:
            await self._send(message)

    async def _comment(self) -> None:
        if not self.started:
            self.started = True
            await self._send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream"),
                        (b"cache-control", b"no-cache"),
                    ],
                }
            )
        await self._send({"type": "http.response.body", "body": b": waking\n\n", "more_body": True})
