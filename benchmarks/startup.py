"""Startup benchmark: `gpustack start` to healthy, and a deployment's way to Running.

Run: `python benchmarks/startup.py [--rounds 3]`.

(a) `gpustack start` on a fresh data folder with SQLite (so the migrations run), with its
embedded worker, until `/readyz` answers 200 (and, for information, until the worker is ready).
(b) A local tiny GGUF deployed with llama.cpp, until its instance is Running. The instance's
states are polled every 10 ms: `starting` is when the worker launched the engine, so
"deploy → starting" plus the health check's delay is what GPUStack adds, and
"starting → running" is the engine's own start-to-ready time (plus that delay).
Prints the median of the rounds, with the machine's load: the figures are wall time, but for
the server's CPU seconds until ready, which a busy machine stretches far less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.models import write_tiny_llama_gguf  # noqa: E402
from tests.support.processes import ADMIN_PASSWORD, Cluster, cluster  # noqa: E402

POLL_S = 0.01


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def poll(check: object, timeout: float, what: str) -> float:
    """Seconds until `check()` is true, polled every POLL_S."""
    assert callable(check)
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if check():
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(POLL_S)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def start_to_healthy(running: Cluster) -> tuple[float, float, float]:
    """Seconds from the process start to /readyz 200, the server process's CPU seconds by
    then (the steadier figure on a busy machine), and seconds to the embedded worker ready."""
    started = time.monotonic()
    server = running.start_server()  # returns on /healthz; /readyz is checked below
    url = running.url
    poll(lambda: httpx.get(f"{url}/readyz", timeout=1).status_code == 200, 60, "/readyz")
    healthy = time.monotonic() - started
    assert server.proc is not None
    times = psutil.Process(server.proc.pid).cpu_times()
    cpu = times.user + times.system
    with httpx.Client(base_url=url, timeout=10) as client:
        resp = client.post("/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD})
        assert resp.status_code == 200, resp.text

        def worker_ready() -> bool:
            items = client.get("/v2/workers").json()["items"]
            return any(w["state"] == "ready" for w in items)

        poll(worker_ready, 60, "the embedded worker ready")
    return healthy, cpu, time.monotonic() - started


def deploy_to_running(client: httpx.Client, model_file: Path, name: str) -> tuple[float, float]:
    """Seconds from the deploy request to `starting`, and from `starting` to `running`."""
    body = {"name": name, "source": "local_path", "local_path": str(model_file)}
    started = time.monotonic()
    resp = client.post("/v2/models", json=body)
    assert resp.status_code == 201, resp.text
    model_id = resp.json()["id"]
    seen: dict[str, float] = {}

    def running() -> bool:
        items = client.get(f"/v2/models/{model_id}/instances").json()["items"]
        for item in items:
            seen.setdefault(item["state"], time.monotonic())
            if item["state"] == "error":
                raise AssertionError(f"instance failed: {item}")
        return "running" in seen

    poll(running, 120, f"{name} running")
    starting = seen.get("starting", seen["running"])
    resp = client.delete(f"/v2/models/{model_id}")
    assert resp.status_code in (200, 204), resp.text
    return starting - started, seen["running"] - starting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load before: {load_average()}", flush=True)
    healthy, cpu, ready, to_starting, engine = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="gpustack-startup-") as tmp:
        model_file = write_tiny_llama_gguf(Path(tmp) / "tiny.gguf")
        for i in range(args.rounds):
            with cluster(Path(tmp) / f"round-{i}") as running:
                (Path(tmp) / f"round-{i}").mkdir()
                h, c, r = start_to_healthy(running)
                healthy.append(h)
                cpu.append(c)
                ready.append(r)
                client = running.client()
                try:
                    s, e = deploy_to_running(client, model_file, f"tiny-{i}")
                finally:
                    client.close()
                to_starting.append(s)
                engine.append(e)
            print(f"round {i + 1}: healthy {h:.2f} s, deploy → starting {s:.2f} s", flush=True)
    print(f"\nload after: {load_average()}")
    print(f"\n| figure (median of {args.rounds}) | seconds |")
    print("|---|---|")
    print(f"| `gpustack start` → /readyz 200 (fresh SQLite, migrations) | {_med(healthy)} |")
    print(f"| server CPU seconds until /readyz 200 | {_med(cpu)} |")
    print(f"| `gpustack start` → embedded worker ready | {_med(ready)} |")
    print(f"| deploy request → instance starting (GPUStack's part) | {_med(to_starting)} |")
    print(f"| instance starting → running (engine start-to-ready) | {_med(engine)} |")
    total = [s + e for s, e in zip(to_starting, engine, strict=True)]
    print(f"| deploy request → running | {_med(total)} |")


def _med(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}"


if __name__ == "__main__":
    main()
