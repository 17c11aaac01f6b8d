"""Limits counted across servers: each server leases a slice of a request budget from a
shared counter store, and flushes the tokens it saw to it in batches.

Requests: a counter per subject and window (calendar minute, UTC day) counts the requests
*reserved* by every server. A server whose lease is used up asks the store for
`lease_size(limit)` more (one round trip); the store adds them atomically and answers the new
total, from which `granted` works out how many of them fit under the limit. So the servers
together never admit more than the limit; what a server leased but did not use before the
window ended is lost, which admits at most (servers - 1) x (lease - 1) fewer than the limit
while traffic keeps reaching every server, and only then (LEASE_FRACTION sets the tolerance).

Tokens are known after an answer: each server adds what it spent to the store every
`flush_interval_s` and reads back the total, so a request is refused once the total it knows
reaches the limit; another server's tokens count here at most one flush late.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from gpustack.server.background import BackgroundLoop
from gpustack.server.security.principal import Principal

from .errors import GatewayError
from .limits import Budget, budgets, requests_refusal, tokens_refusal

logger = logging.getLogger(__name__)

# A lease is this share of the limit (at least one request): a round trip per 5 % of the budget.
LEASE_FRACTION = 0.05
# Counter rows older than this many windows are deleted now and then.
_KEEP_WINDOWS = 2
_PRUNE_EVERY_S = 600.0

CounterKey = tuple[str, int]


class CounterStore(Protocol):
    """Shared counters: (name, window) → total, added to atomically."""

    async def add(self, increments: Mapping[CounterKey, int]) -> dict[CounterKey, int]:
        """Add each amount (zero reads) and answer every counter's new total."""

    async def prune(self, minute: int, day: int) -> None:
        """Forget the windows that ended before these (minute and day counters)."""


def lease_size(limit: int) -> int:
    """How many requests one round trip reserves for a limit."""
    return max(1, math.ceil(limit * LEASE_FRACTION))


def granted(total_after: int, asked: int, limit: int) -> int:
    """Of `asked` just added to a counter now at `total_after`, how many fit the limit."""
    before = total_after - asked
    return max(0, min(asked, limit - before))


@dataclass(slots=True)
class _Lease:
    window: int = -1
    granted: int = 0
    used: int = 0
    # The store had no more for this window: refuse without asking again.
    exhausted: bool = False

    def roll(self, window: int) -> None:
        if window != self.window:
            self.window, self.granted, self.used, self.exhausted = window, 0, 0, False

    def take(self) -> bool:
        if self.used < self.granted:
            self.used += 1
            return True
        return False


@dataclass(slots=True)
class _Tokens:
    window: int
    known: int = 0  # the store's total at the last flush (this server's flushed ones included)
    pending: int = 0  # spent here since

    @property
    def total(self) -> int:
        return self.known + self.pending


class SharedRateLimiter:
    """The gateway's limiter when several servers share one database."""

    def __init__(
        self,
        store: CounterStore,
        clock: Callable[[], float] = time.time,
        flush_interval_s: float = 1.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._flush_interval = flush_interval_s
        self._leases: dict[str, _Lease] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tokens: dict[str, _Tokens] = {}
        self._last_prune = 0.0
        self._background = BackgroundLoop("rate-counter-flush", self._flush_loop)

    async def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
        try:
            await self.flush()
        except Exception:
            logger.exception("could not flush rate counters to the database")

    async def admit(self, principal: Principal) -> None:
        found = budgets(principal)
        if not found:
            return
        now = self._clock()
        minute, day = int(now // 60), int(now // 86400)
        for budget in found:
            limits = budget.limits
            if limits.tokens_per_minute is None and limits.tokens_per_day is None:
                continue
            refusal = tokens_refusal(
                limits,
                budget.owner,
                self._token_counter(f"{budget.subject}:tpm", minute).total,
                self._token_counter(f"{budget.subject}:tpd", day).total,
                now,
            )
            if refusal is not None:
                raise refusal
        taken: list[tuple[_Lease, int]] = []
        try:
            for budget in found:
                await self._reserve(budget, now, minute, day, taken)
        except GatewayError:
            # Refused by a later budget: give back what the earlier ones lent.
            for lease, window in taken:
                if lease.window == window and lease.used > 0:
                    lease.used -= 1
            raise

    def spend(self, principal: Principal, tokens: int) -> None:
        if tokens <= 0:
            return
        now = self._clock()
        minute, day = int(now // 60), int(now // 86400)
        for budget in budgets(principal):
            if budget.limits.tokens_per_minute is None and budget.limits.tokens_per_day is None:
                continue
            self._token_counter(f"{budget.subject}:tpm", minute).pending += tokens
            self._token_counter(f"{budget.subject}:tpd", day).pending += tokens

    async def flush(self) -> None:
        """Send the tokens spent here and learn the totals (every counter of a live window)."""
        now = self._clock()
        minute, day = int(now // 60), int(now // 86400)
        live = {
            name: counter
            for name, counter in self._tokens.items()
            if counter.window == (day if name.endswith(":tpd") else minute)
        }
        self._tokens = live
        self._leases = {
            name: lease
            for name, lease in self._leases.items()
            if lease.window == (day if name.endswith(":rpd") else minute)
        }
        self._locks = {n: lock for n, lock in self._locks.items() if n in self._leases}
        if live:
            sent = {(name, c.window): c.pending for name, c in live.items()}
            totals = await self._store.add(sent)
            for (name, window), amount in sent.items():
                counter = self._tokens.get(name)
                if counter is not None and counter.window == window:
                    counter.pending -= amount
                    counter.known = totals.get((name, window), counter.known + amount)
        if now - self._last_prune >= _PRUNE_EVERY_S:
            self._last_prune = now
            await self._store.prune(minute - _KEEP_WINDOWS, day - _KEEP_WINDOWS)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            try:
                await self.flush()
            except Exception:
                # The tokens stay pending and go with the next flush.
                logger.exception("could not flush rate counters to the database")

    async def _reserve(
        self,
        budget: Budget,
        now: float,
        minute: int,
        day: int,
        taken: list[tuple[_Lease, int]],
    ) -> None:
        limits = budget.limits
        for per, limit, window, ends in (
            ("minute", limits.requests_per_minute, minute, (minute + 1) * 60),
            ("day", limits.requests_per_day, day, (day + 1) * 86400),
        ):
            if limit is None:
                continue
            name = f"{budget.subject}:{'rpm' if per == 'minute' else 'rpd'}"
            lease = await self._take(name, window, limit)
            if lease is None:
                raise requests_refusal(per, budget.owner, ends - now)
            taken.append((lease, window))

    async def _take(self, name: str, window: int, limit: int) -> _Lease | None:
        lease = self._leases.get(name)
        if lease is None:
            lease = self._leases[name] = _Lease()
        lease.roll(window)
        if lease.take():
            return lease
        if lease.exhausted:
            return None
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        async with lock:  # one reservation at a time per counter; the others wait for it
            lease.roll(window)
            if lease.take():
                return lease
            if lease.exhausted:
                return None
            ask = lease_size(limit)
            try:
                total = (await self._store.add({(name, window): ask}))[(name, window)]
                got = granted(total, ask, limit)
            except Exception:
                # Inference goes on while the database hiccups: this server counts alone.
                logger.exception("could not reserve from the shared rate counter %s", name)
                got = ask
            if lease.window != window:
                return None
            lease.granted += got
            lease.exhausted = got < ask
            return lease if lease.take() else None

    def _token_counter(self, name: str, window: int) -> _Tokens:
        counter = self._tokens.get(name)
        if counter is None or counter.window != window:
            counter = self._tokens[name] = _Tokens(window)
        return counter
