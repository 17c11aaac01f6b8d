"""Admission per model: so many requests run at once, the rest wait in a bounded FIFO or get 429.

A model's capacity is the sum of its running instances' `max_concurrent`. A request takes a
slot before the balancer picks an instance and gives it back when its answer (a stream
included) ends or the client goes away. With no slot free it waits in line, at most
`max_queue_length` requests for at most `max_queue_wait_s`; a full line or a wait that runs
out answers 429 `queue_full` / `queue_timeout` with Retry-After.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Mapping

from .errors import queue_full, queue_timeout
from .metrics import GatewayMetrics, QueueMetrics
from .routes import ModelRoute

# Weight of the newest wait in the running estimate behind Retry-After.
_WAIT_SMOOTHING = 0.2


class AdmissionGate:
    """The slots of one model and the line of requests waiting for one.

    `try_enter()` is the hot path: with a slot free and nobody waiting it takes the slot in
    O(1), without locks or allocation. Otherwise the caller awaits `wait()`. Each successful
    entry is matched by exactly one `leave()`, which hands the slot straight to the first in
    line, so nobody overtakes a waiting request. Capacity None means unbounded.
    """

    __slots__ = (
        "_capacity",
        "_in_use",
        "_max_queue",
        "_max_wait_s",
        "_metrics",
        "_recent_wait_s",
        "_waiters",
        "model",
        "route",
    )

    def __init__(
        self,
        model: str,
        metrics: QueueMetrics,
        capacity: int | None = None,
        max_queue: int = 100,
        max_wait_s: float = 300.0,
    ) -> None:
        self.model = model
        self.route: ModelRoute | None = None  # what the settings were last taken from
        self._metrics = metrics
        self._capacity = capacity
        self._max_queue = max_queue
        self._max_wait_s = max_wait_s
        self._in_use = 0
        # Futures of the waiting requests, oldest first: True hands over a slot, False
        # means the wait ran out. Waiters that give up are taken out at once.
        self._waiters: deque[asyncio.Future[bool]] = deque()
        self._recent_wait_s = 0.0
        metrics.length.set(0)

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def capacity(self) -> int | None:
        return self._capacity

    @property
    def idle(self) -> bool:
        return self._in_use == 0 and not self._waiters

    def configure(self, capacity: int | None, max_queue: int, max_wait_s: float) -> None:
        """New bounds; waiters stay in line, and as many as the new capacity allows go in.

        A smaller capacity is reached as running requests end; the new wait bound applies
        to requests that start waiting from now on.
        """
        self._capacity = capacity
        self._max_queue = max_queue
        self._max_wait_s = max_wait_s
        while self._waiters and (capacity is None or self._in_use < capacity):
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_use += 1
                waiter.set_result(True)
        self._metrics.length.set(len(self._waiters))

    def try_enter(self) -> bool:
        """Take a slot if one is free and nobody waits for one."""
        if self._waiters:
            return False
        capacity = self._capacity
        if capacity is not None and self._in_use >= capacity:
            return False
        self._in_use += 1
        return True

    async def wait(self) -> None:
        """Wait in line until a slot is handed over; 429 when the line is full or time runs
        out. A cancelled waiter (the client went away) leaves the line, or passes on the
        slot it was handed at that very moment."""
        if len(self._waiters) >= self._max_queue or self._max_wait_s <= 0:
            self._metrics.full.inc()
            raise queue_full(self.model, len(self._waiters), self._retry_after())
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        self._metrics.length.set(len(self._waiters))
        max_wait_s = self._max_wait_s
        started = loop.time()
        timer = loop.call_later(max_wait_s, self._expire, waiter)
        try:
            granted = await waiter
        except asyncio.CancelledError:
            self._abandon(waiter)
            raise
        finally:
            timer.cancel()
        waited = loop.time() - started
        self._metrics.wait.observe(waited)
        self._recent_wait_s += (waited - self._recent_wait_s) * _WAIT_SMOOTHING
        if not granted:
            self._metrics.timeout.inc()
            raise queue_timeout(self.model, max_wait_s, self._retry_after())

    def leave(self) -> None:
        """Give a slot back: to the first in line, unless capacity shrank below the use."""
        waiters = self._waiters
        if waiters:
            capacity = self._capacity
            while waiters and (capacity is None or self._in_use <= capacity):
                waiter = waiters.popleft()
                if not waiter.done():  # one cancelled a moment ago is still in line
                    waiter.set_result(True)
                    self._metrics.length.set(len(waiters))
                    return
            self._metrics.length.set(len(waiters))
        self._in_use -= 1

    def _expire(self, waiter: asyncio.Future[bool]) -> None:
        if waiter.done():
            return
        self._remove(waiter)
        waiter.set_result(False)

    def _abandon(self, waiter: asyncio.Future[bool]) -> None:
        if waiter.done() and not waiter.cancelled() and waiter.result():
            self.leave()  # handed a slot while being cancelled: the next one gets it
        else:
            self._remove(waiter)

    def _remove(self, waiter: asyncio.Future[bool]) -> None:
        try:
            self._waiters.remove(waiter)  # O(line length), and only when giving up
        except ValueError:
            return
        self._metrics.length.set(len(self._waiters))

    def _retry_after(self) -> int:
        """Seconds to suggest: about what recent requests waited, within the wait bound."""
        ceiling = max(1, math.ceil(self._max_wait_s))
        return min(max(1, math.ceil(self._recent_wait_s)), ceiling)


class Admission:
    """The gateway's gates, one per model name, kept in step with the route table."""

    def __init__(
        self, metrics: GatewayMetrics, default_queue_length: int, default_queue_wait_s: float
    ) -> None:
        self._metrics = metrics
        self._default_queue_length = default_queue_length
        self._default_queue_wait_s = default_queue_wait_s
        self._gates: dict[str, AdmissionGate] = {}

    def gate(self, route: ModelRoute) -> AdmissionGate:
        """The gate of that route's model, adapted to the route if it changed."""
        gate = self._gates.get(route.name)
        if gate is None:
            gate = self._gates[route.name] = AdmissionGate(
                route.name, self._metrics.queue(route.name)
            )
            self._configure(gate, route)
        elif gate.route is not route:
            self._configure(gate, route)
        return gate

    def load(self, name: str) -> tuple[int, int]:
        """Requests of that model running and waiting, on this server."""
        gate = self._gates.get(name)
        return (0, 0) if gate is None else (gate.in_use, gate.waiting)

    def busy(self) -> list[int]:
        """Ids of the models with requests running or waiting on this server."""
        return [g.route.model_id for g in self._gates.values() if g.route and not g.idle]

    def sync(self, routes: Mapping[str, ModelRoute]) -> None:
        """Adapt every gate to a new route table (a `RouteTable` listener).

        A model that is gone lets its waiters in, to be answered as such; its gate goes once
        nothing runs through it.
        """
        for name, gate in list(self._gates.items()):
            route = routes.get(name)
            if route is not None:
                self._configure(gate, route)
                continue
            gate.route = None
            gate.configure(None, 0, 0.0)
            if gate.idle:
                del self._gates[name]

    def _configure(self, gate: AdmissionGate, route: ModelRoute) -> None:
        gate.route = route
        queue = route.max_queue_length
        wait = route.max_queue_wait_s
        gate.configure(
            route.capacity(),
            self._default_queue_length if queue is None else queue,
            self._default_queue_wait_s if wait is None else wait,
        )
