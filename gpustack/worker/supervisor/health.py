"""HTTP health checks of an engine: a 200 on its health path means healthy."""

from __future__ import annotations

import asyncio

import aiohttp

# Waiting for a starting engine: the first polls come quickly and then slow down to the
# startup interval, so an engine that is ready in a second is seen at once (a woken
# deployment's first request waits on it).
FIRST_STARTUP_POLL_S = 0.05
STARTUP_POLL_GROWTH = 1.5


def health_url(host: str, port: int, path: str) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if not path.startswith("/"):
        path = "/" + path
    return f"http://{host}:{port}{path}"


class HealthCheck:
    """Polls one engine's health URL at a fixed interval."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        interval: float,
        timeout: float,
        startup_interval: float | None = None,
    ) -> None:
        self.session = session
        self.url = url
        self.interval = interval
        self.startup_interval = interval if startup_interval is None else startup_interval
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def probe(self) -> str | None:
        """None when healthy, else why not (status code or connection error)."""
        try:
            async with self.session.get(self.url, timeout=self.timeout) as response:
                if response.status == 200:
                    return None
                return f"HTTP {response.status}"
        except TimeoutError:
            return "timed out"
        except (aiohttp.ClientError, OSError) as exc:
            return str(exc) or type(exc).__name__

    async def wait_until_healthy(self) -> None:
        """Return at the first healthy answer; poll forever otherwise (see FIRST_STARTUP_POLL_S)."""
        delay = min(FIRST_STARTUP_POLL_S, self.startup_interval)
        while True:
            if await self.probe() is None:
                return
            await asyncio.sleep(delay)
            delay = min(delay * STARTUP_POLL_GROWTH, self.startup_interval)

    async def wait_until_lost(self, failures: int) -> str:
        """Return after `failures` failed checks in a row, with the last reason."""
        failed = 0
        while True:
            await asyncio.sleep(self.interval)
            reason = await self.probe()
            if reason is None:
                failed = 0
                continue
            failed += 1
            if failed >= failures:
                return reason
