"""Requests/s of an API-key-authenticated `GET /v2/users/me` against unauthenticated `/healthz`.

One command, one run: starts a real server on loopback, creates a key, drives both endpoints
with the same client and concurrency, and prints the ratio (target 0.7).

    .venv/bin/python benchmarks/auth.py [--seconds 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.processes import cluster


async def measure(url: str, headers: dict[str, str], seconds: float, concurrency: int) -> float:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(50):  # warm up connections and caches
            async with session.get(url, headers=headers) as resp:
                assert resp.status == 200, await resp.text()
        done = 0
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.get(url, headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 200
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return done / (time.perf_counter() - start)


async def main_async(seconds: float, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, cluster(Path(tmp)) as running:
        running.start_server(with_worker=False)
        admin = running.client()
        key = admin.post("/v2/api-keys", json={"name": "bench"}).json()["value"]
        auth = {"Authorization": f"Bearer {key}"}
        health = await measure(f"{running.url}/healthz", {}, seconds, concurrency)
        me = await measure(f"{running.url}/v2/users/me", auth, seconds, concurrency)
    print(f"{'endpoint':<34}{'req/s':>10}")
    print(f"{'GET /healthz (no auth, reference)':<34}{health:>10.0f}")
    print(f"{'GET /v2/users/me (API key)':<34}{me:>10.0f}")
    print(f"ratio authenticated / reference: {me / health:.2f} (target >= 0.70)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(main_async(args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
