"""The control plane under simulated workers heartbeating (5 s) and reporting status (15 s,
8 GPUs each), at each size given, on SQLite and (with GPUSTACK_TEST_POSTGRES_URL) PostgreSQL.

One command, one run: per database and size, starts a real server on loopback (no embedded
worker), registers the simulated workers, and measures over the same wall time
(a) the server process's CPU for the same request rate against unauthenticated `/healthz`
(reference) and (b) the heartbeat and status traffic, while an admin lists `/v2/workers`
twice a second (p50/p99) and 50 UI clients follow `/v2/workers?watch=true`: every second one
status report carries a marker, and the time until the last watcher has it is the fan-out
delay (a backlog shows as a growing delay). Targets: CPU <= 10 % of one core at 100 workers,
<= 25 % at 1,000; list p99 <= 50 ms; fan-out without backlog.

    .venv/bin/python benchmarks/heartbeat.py [--workers 100,1000] [--seconds 30] [--watchers 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.databases import backends, fresh_database
from tests.support.processes import cluster

GIB = 1 << 30


def status_report(rng: random.Random, gpus: int) -> dict[str, Any]:
    devices = [
        {
            "vendor": "nvidia", "name": "NVIDIA A100-SXM4-80GB", "index": i,
            "uuid": f"GPU-{rng.getrandbits(64):016x}",
            "memory": {"total": 80 * GIB, "used": rng.randrange(0, 80) * GIB, "allocated": 0,
                       "utilization_rate": rng.random() * 100},
            "core": {"utilization_rate": rng.random() * 100}, "temperature": 40 + rng.random() * 30,
        }
        for i in range(gpus)
    ]  # fmt: skip
    return {
        "cpu": {"total": 64, "utilization_rate": rng.random() * 100},
        "memory": {"total": 512 * GIB, "used": rng.randrange(16, 400) * GIB,
                   "utilization_rate": rng.random() * 100},
        "filesystem": [{"path": "/var/lib/gpustack", "total": 2000 * GIB, "used": 600 * GIB,
                        "available": 1400 * GIB}],
        "os": {"name": "Ubuntu", "version": "22.04"}, "arch": "x86_64",
        "kernel": "5.15.0", "gpu_devices": devices,
    }  # fmt: skip


async def register(session: aiohttp.ClientSession, url: str, token: str, n: int) -> list[Any]:
    workers = []
    for i in range(n):
        body = {"name": f"sim-{i:04d}", "ip": "127.0.0.1", "port": 20000 + i, "labels": {}}
        async with session.post(
            f"{url}/v2/workers/register", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            assert resp.status == 200, await resp.text()
            workers.append(await resp.json())
    return workers


async def simulate(
    session: aiohttp.ClientSession, url: str, workers: list[Any], seconds: float, healthz: bool
) -> int:
    """Each worker heartbeats every 5 s and reports status every 15 s, phases spread out."""
    sent = 0
    deadline = time.monotonic() + seconds

    async def one(worker: Any, rng: random.Random) -> None:
        nonlocal sent
        headers = {"Authorization": f"Bearer {worker['token']}"}
        base = f"{url}/v2/workers/{worker['id']}"
        await asyncio.sleep(rng.random() * 5)
        tick = 0
        while time.monotonic() < deadline:
            if healthz:
                async with session.get(f"{url}/healthz") as resp:
                    await resp.read()
                if tick % 3 == 0:
                    async with session.get(f"{url}/healthz") as resp:
                        await resp.read()
            else:
                async with session.post(f"{base}/heartbeat", headers=headers) as resp:
                    assert resp.status == 204, await resp.text()
                if tick % 3 == 0:
                    report = status_report(rng, gpus=8)
                    async with session.put(f"{base}/status", json=report, headers=headers) as resp:
                        assert resp.status == 204, await resp.text()
            sent += 1 + (tick % 3 == 0)
            tick += 1
            await asyncio.sleep(5)

    await asyncio.gather(*(one(w, random.Random(w["id"])) for w in workers))
    return sent


async def cpu_percent_during(
    pid: int, session: aiohttp.ClientSession, url: str, workers: list[Any], seconds: float,
    healthz: bool,
) -> tuple[float, int]:  # fmt: skip
    proc = psutil.Process(pid)
    before = proc.cpu_times()
    start = time.monotonic()
    sent = await simulate(session, url, workers, seconds, healthz)
    after = proc.cpu_times()
    used = (after.user - before.user) + (after.system - before.system)
    return 100 * used / (time.monotonic() - start), sent


@dataclass
class Observed:
    """What the admin's listing and the UI watchers saw during the heartbeat phase."""

    list_ms: list[float] = field(default_factory=list)
    fanout_ms: list[float] = field(default_factory=list)
    lost: int = 0  # markers some watcher never saw within 5 s


async def observe(
    url: str, cookies: dict[str, str], workers: list[Any], watchers: int, until: float
) -> Observed:
    """List workers twice a second and time markers through `watchers` watch streams."""
    seen: list[set[str]] = [set() for _ in range(watchers)]
    observed = Observed()
    async with aiohttp.ClientSession(cookies=cookies) as admin:

        async def lister() -> None:
            while time.monotonic() < until:
                start = time.perf_counter()
                async with admin.get(f"{url}/v2/workers") as resp:
                    assert resp.status == 200, await resp.text()
                    await resp.read()
                observed.list_ms.append((time.perf_counter() - start) * 1000)
                await asyncio.sleep(0.5)

        async def watcher(index: int) -> None:
            async with aiohttp.ClientSession(cookies=cookies) as own:
                async with own.get(
                    f"{url}/v2/workers?watch=true", timeout=aiohttp.ClientTimeout()
                ) as resp:
                    tail = b""
                    async for chunk in resp.content.iter_any():
                        text = tail + chunk
                        for part in text.split(b"mark-")[1:]:
                            seen[index].add(part[:12].decode(errors="replace"))
                        tail = text[-20:]

        async def marker() -> None:
            worker = workers[0]
            headers = {"Authorization": f"Bearer {worker['token']}"}
            rng = random.Random(0)
            n = 0
            while time.monotonic() < until - 5:
                await asyncio.sleep(1)
                tag = f"{n:012d}"
                n += 1
                report = status_report(rng, gpus=8)
                report["kernel"] = f"mark-{tag}"
                start = time.perf_counter()
                async with admin.put(
                    f"{url}/v2/workers/{worker['id']}/status", json=report, headers=headers
                ) as resp:
                    assert resp.status == 204, await resp.text()
                while not all(tag in s for s in seen):
                    if time.perf_counter() - start > 5:
                        observed.lost += 1
                        break
                    await asyncio.sleep(0.002)
                else:
                    observed.fanout_ms.append((time.perf_counter() - start) * 1000)

        tasks = [asyncio.create_task(watcher(i)) for i in range(watchers)]
        await asyncio.sleep(1)  # the streams open
        try:
            await asyncio.gather(lister(), marker())
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return observed


@dataclass
class Result:
    database: str
    workers: int
    ref_cpu: float
    beat_cpu: float
    sent: int
    observed: Observed


async def one_size(database: str, n: int, seconds: float, watchers: int, tmp: Path) -> Result:
    async with fresh_database(database, tmp) as url:
        with cluster(tmp) as running:
            if database == "sqlite":
                running.start_server(with_worker=False)
            else:
                running.start_server("--database-url", url, with_worker=False)
            assert running.server is not None and running.server.proc is not None
            pid = running.server.proc.pid
            token = (tmp / "server" / "token").read_text().strip()
            client = running.client()
            cookies = dict(client.cookies.items())
            client.close()
            connector = aiohttp.TCPConnector(limit=0)
            try:
                result = await _measure(
                    pid, running.url, token, cookies, n, seconds, watchers, connector
                )
            except AssertionError:
                print(running.logs()[-6000:], file=sys.stderr)
                raise
    ref, beat, sent, observed = result
    return Result(database, n, ref, beat, sent, observed)


async def _measure(
    pid: int, url: str, token: str, cookies: dict[str, str], n: int, seconds: float,
    watchers: int, connector: aiohttp.TCPConnector,
) -> tuple[float, float, int, Observed]:  # fmt: skip
    async with aiohttp.ClientSession(connector=connector) as session:
        workers = await register(session, url, token, n)
        # Heartbeats first, while every worker is fresh and ready (the steady state); the
        # reference phase after it leaves them silent, which only makes it costlier.
        until = time.monotonic() + seconds
        watched = asyncio.create_task(observe(url, cookies, workers, watchers, until))
        beat, sent = await cpu_percent_during(pid, session, url, workers, seconds, healthz=False)
        observed = await watched
        ref, _ = await cpu_percent_during(pid, session, url, workers, seconds, healthz=True)
    return ref, beat, sent, observed


def _pct(values: list[float], q: int) -> str:
    if len(values) < 2:
        return "-" if not values else f"{values[0]:.1f}"
    return f"{statistics.quantiles(values, n=100)[q - 1]:.1f}"


def report(results: list[Result], seconds: float, watchers: int) -> None:
    one, five, fifteen = os.getloadavg()
    print(f"\n{seconds:.0f} s per phase, {watchers} watchers; load average {one:.2f}, "
          f"{five:.2f}, {fifteen:.2f}")  # fmt: skip
    print(
        "\n| database | workers | requests | server CPU (heartbeats + status) "
        "| CPU, same rate of /healthz | /v2/workers p50 ms | p99 ms "
        "| fan-out to watchers p50 ms | p99 ms | markers lost |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        o = r.observed
        print(
            f"| {r.database} | {r.workers} | {r.sent} | {r.beat_cpu:.1f} % | {r.ref_cpu:.1f} % "
            f"| {_pct(o.list_ms, 50)} | {_pct(o.list_ms, 99)} | {_pct(o.fanout_ms, 50)} "
            f"| {_pct(o.fanout_ms, 99)} | {o.lost} |"
        )


async def main_async(sizes: list[int], seconds: float, watchers: int, dbs: list[str]) -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for database in dbs:
            for n in sizes:
                folder = Path(tmp) / f"{database}-{n}"
                folder.mkdir()
                result = await one_size(database, n, seconds, watchers, folder)
                print(f"{database}, {n} workers: {result.beat_cpu:.1f} % CPU", flush=True)
                results.append(result)
    report(results, seconds, watchers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="100,1000", help="sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--watchers", type=int, default=50)
    parser.add_argument("--database", default=",".join(backends()), help="sqlite and/or postgresql")
    args = parser.parse_args()
    sizes = [int(n) for n in args.workers.split(",")]
    asyncio.run(main_async(sizes, args.seconds, args.watchers, args.database.split(",")))


if __name__ == "__main__":
    main()
