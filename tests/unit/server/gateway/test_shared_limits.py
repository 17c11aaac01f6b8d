"""Limits across servers: leased request budgets and flushed token counts stay within bounds."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from gpustack.db.engine import create_engine
from gpustack.db.migrate import upgrade_to_head
from gpustack.server.gateway.errors import GatewayError
from gpustack.server.gateway.shared_limits import (
    CounterKey,
    SharedRateLimiter,
    granted,
    lease_size,
)
from gpustack.server.rate_counters import DatabaseCounterStore
from gpustack.server.security.principal import GroupLimits, KeyLimits, Principal


class MemoryStore:
    """The shared counters of one database, in memory; counts the round trips."""

    def __init__(self) -> None:
        self.totals: dict[CounterKey, int] = {}
        self.round_trips = 0

    async def add(self, increments: Mapping[CounterKey, int]) -> dict[CounterKey, int]:
        self.round_trips += 1
        for key, amount in increments.items():
            self.totals[key] = self.totals.get(key, 0) + amount
        return {key: self.totals[key] for key in increments}

    async def prune(self, minute: int, day: int) -> None:
        return None


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def key(rpm: int | None = None, **limits: int) -> Principal:
    return Principal(1, "u", False, api_key_id=7, limits=KeyLimits(rpm, **limits))


async def admitted(limiter: SharedRateLimiter, who: Principal) -> bool:
    try:
        await limiter.admit(who)
    except GatewayError as exc:
        assert exc.status == 429
        return False
    return True


def test_a_lease_is_five_percent_of_the_limit_and_at_least_one() -> None:
    assert lease_size(100) == 5
    assert lease_size(1000) == 50
    assert lease_size(7) == 1
    assert lease_size(1) == 1


def test_granted_is_what_still_fits_under_the_limit() -> None:
    assert granted(total_after=5, asked=5, limit=100) == 5
    assert granted(total_after=102, asked=5, limit=100) == 3
    assert granted(total_after=110, asked=5, limit=100) == 0


@pytest.mark.parametrize("pattern", ["alternate", "bursts", "mostly-one"])
async def test_two_servers_never_admit_more_than_the_limit(pattern: str) -> None:
    store, clock = MemoryStore(), Clock(1_000_040.0)
    servers = [SharedRateLimiter(store, clock), SharedRateLimiter(store, clock)]
    who = key(rpm=100)
    plan = {
        "alternate": [i % 2 for i in range(300)],
        "bursts": [(i // 7) % 2 for i in range(300)],
        "mostly-one": [0 if i % 10 else 1 for i in range(300)],
    }[pattern]
    ok = [await admitted(servers[s], who) for s in plan]
    # Never more; fewer only by what a server leased and did not use (< one lease each).
    assert 100 - 2 * (lease_size(100) - 1) <= sum(ok) <= 100
    # The hot path stays in the process: about one round trip per lease, not per request.
    assert store.round_trips <= 100 // lease_size(100) + 4


async def test_a_refused_server_stops_asking_until_the_next_minute() -> None:
    store, clock = MemoryStore(), Clock(1_000_040.0)
    limiter = SharedRateLimiter(store, clock)
    who = key(rpm=10)
    assert [await admitted(limiter, who) for _ in range(12)] == [True] * 10 + [False] * 2
    trips = store.round_trips
    assert not await admitted(limiter, who)
    assert store.round_trips == trips
    clock.now += 40  # the next calendar minute
    assert await admitted(limiter, who)


async def test_a_group_budget_refusal_gives_the_key_its_request_back() -> None:
    store, clock = MemoryStore(), Clock(1_000_040.0)
    limiter = SharedRateLimiter(store, clock)
    who = Principal(
        1,
        "u",
        False,
        api_key_id=7,
        limits=KeyLimits(requests_per_minute=3),
        group_limits=(GroupLimits(2, KeyLimits(requests_per_minute=1)),),
    )
    assert await admitted(limiter, who)
    with pytest.raises(GatewayError) as refused:
        await limiter.admit(who)
    assert "group" in refused.value.message
    alone = key(rpm=3)  # the same key without the group: two of its three are left
    assert [await admitted(limiter, alone) for _ in range(3)] == [True, True, False]


async def test_tokens_spent_on_one_server_refuse_on_the_other_after_a_flush() -> None:
    store, clock = MemoryStore(), Clock(1_000_040.0)
    a, b = SharedRateLimiter(store, clock), SharedRateLimiter(store, clock)
    who = key(tokens_per_minute=100)
    await a.admit(who)
    await b.admit(who)
    a.spend(who, 120)
    await a.flush()
    await b.flush()
    for server in (a, b):
        with pytest.raises(GatewayError) as refused:
            await server.admit(who)
        assert refused.value.retry_after == 40


async def test_the_database_store_adds_atomically_in_batches(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, database_url)
    engine = create_engine(database_url)
    try:
        store = DatabaseCounterStore(engine)
        assert await store.add({("k:1:rpm", 10): 5, ("k:2:rpm", 10): 1}) == {
            ("k:1:rpm", 10): 5,
            ("k:2:rpm", 10): 1,
        }
        many = {(f"g:{i}:tpm", 10): i for i in range(1200)}
        totals = await store.add(many)
        assert len(totals) == 1200 and totals[("g:1199:tpm", 10)] == 1199
        assert await store.add({("k:1:rpm", 10): 5}) == {("k:1:rpm", 10): 10}
        await store.prune(minute=11, day=0)
        assert await store.add({("k:1:rpm", 10): 0}) == {("k:1:rpm", 10): 0}
    finally:
        await engine.dispose()
