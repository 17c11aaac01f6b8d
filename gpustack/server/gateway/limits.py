"""Limits per API key (per user for sessions) and per group: requests and tokens per
minute/day; excess answers 429.

A group's limits are shared by every key of every member: its counters are keyed by the group.
This module counts in the process (one server); `shared_limits.py` counts across servers.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from gpustack.server.security.principal import KeyLimits, Principal

from .errors import GatewayError, rate_limited

NO_LIMITS = KeyLimits()


class Limiter(Protocol):
    """What the gateway asks before forwarding a request, and tells after its answer."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def admit(self, principal: Principal) -> None:
        """Count one request, or raise a 429 GatewayError with Retry-After."""

    def spend(self, principal: Principal, tokens: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Budget:
    """One set of counters a request draws on: `subject` names them ("k:5", "g:2")."""

    subject: str
    limits: KeyLimits
    owner: str  # for the message: "this API key", "your group"


def budgets(principal: Principal) -> list[Budget]:
    """The key's (or session user's) own limits, then each limited group's."""
    found: list[Budget] = []
    if principal.limits != NO_LIMITS:
        if principal.api_key_id is not None:
            found.append(Budget(f"k:{principal.api_key_id}", principal.limits, "this API key"))
        else:
            found.append(Budget(f"u:{principal.user_id}", principal.limits, "this user"))
    for group in principal.group_limits:
        found.append(Budget(f"g:{group.group_id}", group.limits, "your group"))
    return found


def tokens_refusal(
    limits: KeyLimits, owner: str, minute_tokens: int, day_tokens: int, now: float
) -> GatewayError | None:
    """Tokens are known only after an answer: refuse once the spent ones reach the limit."""
    if limits.tokens_per_day is not None and day_tokens >= limits.tokens_per_day:
        retry = math.ceil((int(now // 86400) + 1) * 86400 - now)
        return rate_limited(f"Token limit per day reached for {owner}.", max(retry, 1))
    if limits.tokens_per_minute is not None and minute_tokens >= limits.tokens_per_minute:
        retry = math.ceil((int(now // 60) + 1) * 60 - now)
        return rate_limited(f"Token limit per minute reached for {owner}.", max(retry, 1))
    return None


def requests_refusal(per: str, owner: str, retry_s: float) -> GatewayError:
    return rate_limited(f"Request limit per {per} reached for {owner}.", max(math.ceil(retry_s), 1))


@dataclass(slots=True)
class _Window:
    requests: deque[float] = field(default_factory=deque)
    minute: int = -1
    minute_tokens: int = 0
    day: int = -1
    day_tokens: int = 0
    day_requests: int = 0


class RateLimiter:
    """Counts in this process: the fast path for one server.

    Requests per minute use a sliding minute; tokens and requests per day use calendar
    minutes and UTC days.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def admit(self, principal: Principal) -> None:
        self.admit_now(principal)

    def admit_now(self, principal: Principal) -> None:
        found = budgets(principal)
        if not found:
            return
        now = self._clock()
        windows = [self._window(b.subject, now) for b in found]
        # Check every budget before counting in any: a refused request costs none of them.
        for budget, window in zip(found, windows, strict=True):
            self._check(budget, window, now)
        for budget, window in zip(found, windows, strict=True):
            if budget.limits.requests_per_minute is not None:
                window.requests.append(now)
            window.day_requests += 1

    def spend(self, principal: Principal, tokens: int) -> None:
        if tokens <= 0:
            return
        now = self._clock()
        for budget in budgets(principal):
            window = self._window(budget.subject, now)
            window.minute_tokens += tokens
            window.day_tokens += tokens

    @staticmethod
    def _check(budget: Budget, window: _Window, now: float) -> None:
        limits = budget.limits
        refusal = tokens_refusal(limits, budget.owner, window.minute_tokens, window.day_tokens, now)
        if refusal is not None:
            raise refusal
        rpd = limits.requests_per_day
        if rpd is not None and window.day_requests >= rpd:
            raise requests_refusal("day", budget.owner, (window.day + 1) * 86400 - now)
        rpm = limits.requests_per_minute
        if rpm is not None:
            requests = window.requests
            while requests and requests[0] <= now - 60:
                requests.popleft()
            if len(requests) >= rpm:
                retry = requests[0] + 60 - now if requests else 60
                raise requests_refusal("minute", budget.owner, retry)

    def _window(self, subject: str, now: float) -> _Window:
        window = self._windows.get(subject)
        if window is None:
            window = self._windows[subject] = _Window()
        minute, day = int(now // 60), int(now // 86400)
        if minute != window.minute:
            window.minute, window.minute_tokens = minute, 0
        if day != window.day:
            window.day, window.day_tokens, window.day_requests = day, 0, 0
        return window
