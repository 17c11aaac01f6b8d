"""Health checks against a small aiohttp server."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer

from gpustack.worker.supervisor import HealthCheck, health_url


@dataclass
class FakeEngine:
    """Answers /health with the status codes it is given, in turn."""

    codes: Iterator[int] = field(default_factory=lambda: itertools.repeat(200))
    server: BaseTestServer | None = None

    def check(self, session: aiohttp.ClientSession, interval: float = 0.01) -> HealthCheck:
        assert self.server is not None and self.server.port is not None
        url = health_url("127.0.0.1", self.server.port, "/health")
        return HealthCheck(session, url, interval=interval, timeout=1)


@pytest.fixture
async def engine() -> AsyncIterator[FakeEngine]:
    fake = FakeEngine()

    async def health(request: web.Request) -> web.Response:
        return web.Response(status=next(fake.codes))

    app = web.Application()
    app.router.add_get("/health", health)
    async with TestServer(app, host="127.0.0.1") as server:
        fake.server = server
        yield fake


def test_health_url_brackets_ipv6_and_adds_the_slash() -> None:
    assert health_url("::1", 40001, "health") == "http://[::1]:40001/health"
    assert health_url("10.0.0.5", 40001, "/v1/models") == "http://10.0.0.5:40001/v1/models"


async def test_probe_reports_status_and_connection_errors(engine: FakeEngine) -> None:
    async with aiohttp.ClientSession() as session:
        check = engine.check(session)
        assert await check.probe() is None

        engine.codes = itertools.repeat(503)
        assert await check.probe() == "HTTP 503"

        assert engine.server is not None
        await engine.server.close()
        assert "Cannot connect" in (await check.probe() or "")


async def test_health_counts_as_lost_only_after_failures_in_a_row(engine: FakeEngine) -> None:
    async with aiohttp.ClientSession() as session:
        check = engine.check(session)
        engine.codes = itertools.cycle([500, 200])
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(check.wait_until_lost(failures=2), 0.3)

        engine.codes = itertools.repeat(500)
        assert await check.wait_until_lost(failures=2) == "HTTP 500"


async def test_an_engine_ready_soon_is_seen_soon_despite_a_long_interval(
    engine: FakeEngine,
) -> None:
    # Not ready for its first few answers (a fraction of a second), then ready: waiting a
    # whole 10 s interval after the first miss would add all of it to the deployment.
    engine.codes = itertools.chain([503] * 4, itertools.repeat(200))
    async with aiohttp.ClientSession() as session:
        check = engine.check(session, interval=10.0)
        await asyncio.wait_for(check.wait_until_healthy(), 3.0)
