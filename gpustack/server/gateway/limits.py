"""Per-key limits: requests per minute and tokens per minute/day; excess answers 429."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gpustack.server.security.principal import KeyLimits, Principal

from .errors import rate_limited

_NO_LIMITS = KeyLimits()


@dataclass(slots=True)
class _Window:
    requests: deque[float] = field(default_factory=deque)
    minute: int = -1
    minute_tokens: int = 0
    day: int = -1
    day_tokens: int = 0


class RateLimiter:
    """Counts per API key (or per user for sessions).

    Requests use a sliding minute; tokens use calendar minutes and UTC days. Tokens are known
    only after an answer, so a request is refused once the spent tokens reach the limit.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, int], _Window] = {}

    def admit(self, principal: Principal) -> None:
        """Count one request, or raise a 429 GatewayError with Retry-After."""
        limits = principal.limits
        if limits == _NO_LIMITS:
            return
        now = self._clock()
        window = self._window(principal)
        self._roll(window, now)
        if limits.tokens_per_day is not None and window.day_tokens >= limits.tokens_per_day:
            retry = math.ceil((window.day + 1) * 86400 - now)
            raise rate_limited("Token limit per day reached for this API key.", max(retry, 1))
        if (
            limits.tokens_per_minute is not None
            and window.minute_tokens >= limits.tokens_per_minute
        ):
            retry = math.ceil((window.minute + 1) * 60 - now)
            raise rate_limited("Token limit per minute reached for this API key.", max(retry, 1))
        rpm = limits.requests_per_minute
        if rpm is not None:
            requests = window.requests
            while requests and requests[0] <= now - 60:
                requests.popleft()
            if len(requests) >= rpm:
                retry = math.ceil(requests[0] + 60 - now) if requests else 60
                raise rate_limited(
                    "Request limit per minute reached for this API key.", max(retry, 1)
                )
            requests.append(now)

    def spend(self, principal: Principal, tokens: int) -> None:
        if tokens <= 0 or principal.limits == _NO_LIMITS:
            return
        window = self._window(principal)
        self._roll(window, self._clock())
        window.minute_tokens += tokens
        window.day_tokens += tokens

    def _window(self, principal: Principal) -> _Window:
        key = (
            ("k", principal.api_key_id)
            if principal.api_key_id is not None
            else (
                "u",
                principal.user_id,
            )
        )
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        return window

    @staticmethod
    def _roll(window: _Window, now: float) -> None:
        minute, day = int(now // 60), int(now // 86400)
        if minute != window.minute:
            window.minute, window.minute_tokens = minute, 0
        if day != window.day:
            window.day, window.day_tokens = day, 0
