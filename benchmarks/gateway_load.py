"""Load for the gateway benchmark: latency at concurrency 1 (one keep-alive connection per
target, sequential requests), requests/s and SSE streams/s at concurrency 64, and the CPU each
target's process spends per request."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import psutil

CONCURRENCY = 64
LATENCY_PER_ROUND = 100
LATENCY_WARM_UP = 200


@dataclass(frozen=True)
class Rounds:
    """How many alternating rounds: c=1 rounds of 100 sequential requests, throughput rounds."""

    latency: int = 20  # 2,000 sequential requests per target after the warm-up
    throughput: int = 6


# For a target tens of times slower than the others (LiteLLM), measured alone.
FEW_ROUNDS = Rounds(latency=4, throughput=1)


@dataclass(frozen=True)
class Target:
    """One way to reach the upstream; `pids` are the processes whose CPU time is charged."""

    name: str
    url: str
    headers: dict[str, str]
    pids: tuple[int, ...]


@dataclass
class Figures:
    p50: float = 0.0
    p99: float = 0.0
    p999: float = 0.0
    rps: float = 0.0
    cpu_ms_req: float = 0.0
    sps: float = 0.0
    cpu_ms_stream: float = 0.0


class Load:
    """Requests against the targets from one aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, model: str) -> None:
        self.session = session
        self.body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": "ping"}],
            "max_tokens": 5,
        }

    async def one(self, target: Target, stream: bool) -> None:
        body = {**self.body, "stream": True} if stream else self.body
        async with self.session.post(target.url, json=body, headers=target.headers) as r:
            data = await r.read()
        if r.status != 200 or (stream and b"[DONE]" not in data):
            raise RuntimeError(f"{target.name}: bad answer {r.status}: {data[:300]!r}")

    async def wait_ready(self, target: Target) -> None:
        for _ in range(600):
            try:
                await self.one(target, False)
                return
            except (aiohttp.ClientError, RuntimeError):
                await asyncio.sleep(0.1)
        await self.one(target, False)  # raise what it answers

    async def latencies(self, target: Target, n: int) -> list[float]:
        out = []
        for _ in range(n):
            start = time.perf_counter()
            await self.one(target, False)
            out.append((time.perf_counter() - start) * 1000)
        return out

    async def rate(self, target: Target, seconds: float, stream: bool) -> tuple[int, float]:
        """Completed requests and elapsed seconds with CONCURRENCY clients for `seconds`."""
        done = 0
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await self.one(target, stream)
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        return done, time.perf_counter() - start


def _cpu_seconds(pids: tuple[int, ...]) -> float:
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


def _percentile(values: list[float], q: float) -> float:
    """The q-th percentile (q may be fractional: 99.9)."""
    return statistics.quantiles(values, n=1000)[round(q * 10) - 1]


async def sequential(
    model: str, targets: list[Target], rounds: int, per_round: int = LATENCY_PER_ROUND
) -> dict[str, list[float]]:
    """Latencies (ms) at c=1: per target one session holding one keep-alive connection,
    requests one after another, targets alternating round by round."""
    sessions = {
        t.name: aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for t in targets
    }
    try:
        loads = {name: Load(session, model) for name, session in sessions.items()}
        for target in targets:
            await loads[target.name].latencies(target, LATENCY_WARM_UP)
        samples: dict[str, list[float]] = {t.name: [] for t in targets}
        for _ in range(rounds):
            for target in targets:
                samples[target.name] += await loads[target.name].latencies(target, per_round)
        return samples
    finally:
        for session in sessions.values():
            await session.close()


async def _throughput(
    load: Load, targets: list[Target], seconds: float, stream: bool, rounds: int
) -> dict[str, tuple[float, float]]:
    """Per target: requests/s and CPU ms per request, over alternating rounds."""
    done = dict.fromkeys((t.name for t in targets), 0)
    elapsed = dict.fromkeys(done, 0.0)
    cpu = dict.fromkeys(done, 0.0)
    for target in targets:
        await load.rate(target, 0.3, stream)  # warm-up
    for _ in range(rounds):
        for target in targets:
            before = _cpu_seconds(target.pids)
            n, took = await load.rate(target, seconds / rounds, stream)
            cpu[target.name] += _cpu_seconds(target.pids) - before
            done[target.name] += n
            elapsed[target.name] += took
    return {
        name: (done[name] / elapsed[name], cpu[name] * 1000 / max(done[name], 1)) for name in done
    }


async def measure(
    model: str, targets: list[Target], seconds: float, rounds: Rounds = Rounds()
) -> dict[str, Figures]:
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        load = Load(session, model)
        for target in targets:
            await load.wait_ready(target)
        figures = {t.name: Figures() for t in targets}
        for name, values in (await sequential(model, targets, rounds.latency)).items():
            figures[name].p50 = _percentile(values, 50)
            figures[name].p99 = _percentile(values, 99)
            figures[name].p999 = _percentile(values, 99.9)
        for name, (rps, cpu_ms) in (
            await _throughput(load, targets, seconds, False, rounds.throughput)
        ).items():
            figures[name].rps, figures[name].cpu_ms_req = rps, cpu_ms
        for name, (sps, cpu_ms) in (
            await _throughput(load, targets, seconds, True, rounds.throughput)
        ).items():
            figures[name].sps, figures[name].cpu_ms_stream = sps, cpu_ms
        return figures
