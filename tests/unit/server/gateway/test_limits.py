"""Per-key limits answer 429 with Retry-After."""

from __future__ import annotations

import httpx
import pytest

from gpustack.server.gateway.errors import GatewayError
from gpustack.server.gateway.limits import RateLimiter
from gpustack.server.security.principal import KeyLimits, Principal

from .conftest import KEY, RATE_KEY, Harness

BODY = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}


async def test_third_request_in_a_minute_is_429_with_retry_after(gw: Harness) -> None:
    limited = {"Authorization": f"Bearer {RATE_KEY}"}
    async with httpx.AsyncClient() as client:
        codes = [
            (await client.post(gw.v1 + "/chat/completions", json=BODY, headers=limited))
            for _ in range(3)
        ]
        other = await client.post(
            gw.v1 + "/chat/completions", json=BODY, headers={"Authorization": f"Bearer {KEY}"}
        )
    assert [r.status_code for r in codes] == [200, 200, 429]
    refused = codes[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert other.status_code == 200  # limits are per key
    assert len(gw.upstream.seen) == 3


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_tokens_per_minute_and_per_day() -> None:
    clock = Clock(1_000_040.0)  # 20 s into a minute
    limiter = RateLimiter(clock)
    who = Principal(1, "u", False, api_key_id=5, limits=KeyLimits(tokens_per_minute=100))
    limiter.admit_now(who)
    limiter.spend(who, 120)
    with pytest.raises(GatewayError) as refused:
        limiter.admit_now(who)
    assert refused.value.status == 429 and refused.value.retry_after == 40
    clock.now += 40
    limiter.admit_now(who)

    daily = Principal(2, "d", False, api_key_id=6, limits=KeyLimits(tokens_per_day=10))
    limiter.spend(daily, 10)
    with pytest.raises(GatewayError) as per_day:
        limiter.admit_now(daily)
    assert per_day.value.retry_after is not None and per_day.value.retry_after > 3600
