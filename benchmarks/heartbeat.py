"""Server CPU spent on 100 simulated workers heartbeating (5 s) and reporting status (15 s).

One command, one run: starts a real server on loopback (no embedded worker), registers the
simulated workers with realistic GPU status reports, and measures the server process's CPU time
over the same wall time for (a) the same request rate against unauthenticated `/healthz`
(reference) and (b) the heartbeat and status traffic. Prints % of one core (target < 10 %).

    .venv/bin/python benchmarks/heartbeat.py [--workers 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
        body = {"name": f"sim-{i:03d}", "ip": "127.0.0.1", "port": 20000 + i, "labels": {}}
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


async def main_async(n: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, cluster(Path(tmp)) as running:
        running.start_server(with_worker=False)
        assert running.server is not None and running.server.proc is not None
        token = (Path(tmp) / "server" / "token").read_text().strip()
        async with aiohttp.ClientSession() as session:
            workers = await register(session, running.url, token, n)
            # Heartbeats first, while every worker is fresh and ready (the steady state); the
            # reference phase after it leaves them silent, which only makes it costlier.
            beat, beat_sent = await cpu_percent_during(
                running.server.proc.pid, session, running.url, workers, seconds, healthz=False
            )
            ref, ref_sent = await cpu_percent_during(
                running.server.proc.pid, session, running.url, workers, seconds, healthz=True
            )
    print(f"{n} simulated workers, {seconds:.0f} s each phase")
    print(f"{'traffic':<44}{'requests':>10}{'server CPU':>12}")
    print(f"{'same rate of GET /healthz (reference)':<44}{ref_sent:>10}{ref:>11.1f}%")
    print(f"{'heartbeats (5 s) + status reports (15 s)':<44}{beat_sent:>10}{beat:>11.1f}%")
    ratio = beat / ref if ref else float("inf")
    print(f"ratio heartbeat / reference CPU: {ratio:.2f}; target: heartbeat < 10 % of one core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(main_async(args.workers, args.seconds))


if __name__ == "__main__":
    main()
