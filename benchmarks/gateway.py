"""Gateway benchmark: what our gateway adds in front of an engine, against a bare forwarder
and LiteLLM's proxy, on the same upstream, in one run.

Run: `python benchmarks/gateway.py [--seconds 3] [--no-litellm] [--route]`.

A real `gpustack start` server (with its embedded worker) deploys the stand-in upstream
(benchmarks/standin_upstream.py) as a `custom` backend, so requests take the real path: API key
auth, the key's limits (set far above the load, so they are counted but never reached), the
route table, the balancer, usage records written to the database and Prometheus metrics. The
same upstream is measured:
  (a) directly, (b) through benchmarks/bare_forwarder.py, (c) through the gateway, and
  (d) through LiteLLM's proxy, from a separate virtualenv (`litellm[proxy]` is installed into
      it on first use; a failed install is reported and (d) skipped).
Where the OS allows (Linux, two cores or more), the proxy under test (server, forwarder,
LiteLLM) runs pinned to one core, and this load generator, the upstream and the embedded
worker to the others. Targets are measured in alternating rounds so that noise on the machine
hits all alike. Prints a Markdown table and the ratios against the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gateway_load import (  # noqa: E402
    FEW_ROUNDS,
    Figures,
    Load,
    Target,
    measure,
    sequential,
)
from benchmarks.litellm_proxy import DEFAULT_VENV, litellm_proxy  # noqa: E402
from tests.fixtures.models import write_tiny_llama_gguf  # noqa: E402
from tests.support.processes import Cluster, cluster, free_port, wait_until  # noqa: E402

STANDIN = Path(__file__).with_name("standin_upstream.py")
FORWARDER = Path(__file__).with_name("bare_forwarder.py")
MODEL = "bench"
FORWARDER_KEY = "bench-forwarder-key"
LIMIT = 2**31 - 1  # limits on, never reached (the largest the API accepts)


@dataclass
class Cores:
    """The proxy core and the rest; empty when the OS cannot pin."""

    proxy: set[int] = field(default_factory=set)
    rest: set[int] = field(default_factory=set)

    @classmethod
    def detect(cls) -> Cores:
        if not hasattr(os, "sched_setaffinity"):
            return cls()
        available = sorted(os.sched_getaffinity(0))
        if len(available) < 2:
            return cls()
        return cls({available[0]}, set(available[1:]))

    def describe(self) -> str:
        if not self.proxy:
            return "not pinned (--no-pin, or not Linux with two cores or more)"
        return f"proxy on core {sorted(self.proxy)}, load + upstream on {sorted(self.rest)}"

    def pin(self, pid: int, proxy: bool) -> None:
        """Pin every thread of a process (threads started later inherit it)."""
        if not self.proxy:
            return
        cpus = self.proxy if proxy else self.rest
        for tid in psutil.Process(pid).threads():
            try:
                os.sched_setaffinity(tid.id, cpus)
            except ProcessLookupError:
                pass


def deploy_standin(
    running: Cluster, admin: httpx.Client, folder: Path, via_route: bool = False
) -> int:
    """The stand-in as a `custom` deployment; returns its engine's port once it runs.

    The deployment's source must be a model file the server can read, though the stand-in
    ignores it: a tiny random GGUF written on the spot. With `via_route` the deployment gets
    another name and `MODEL` is a model route to it, so requests resolve through the route.
    """
    model_file = write_tiny_llama_gguf(folder / "standin.gguf")
    command = f"{sys.executable} {STANDIN} {{{{port}}}}"
    body = {
        "name": f"{MODEL}-deployment" if via_route else MODEL,
        "source": "local_path",
        "local_path": str(model_file),
        "backend": "custom",
        "backend_command": command,
        "health_path": "/health",
        "categories": ["llm"],
    }
    resp = admin.post("/v2/models", json=body)
    assert resp.status_code == 201, resp.text
    model_id = resp.json()["id"]
    if via_route:
        route = {"name": MODEL, "targets": [{"model": body["name"]}]}
        resp = admin.post("/v2/model-routes", json=route)
        assert resp.status_code == 201, resp.text

    def running_port() -> int:
        items = admin.get(f"/v2/models/{model_id}/instances").json()["items"]
        live = [i for i in items if i["state"] == "running"]
        return int(live[0]["port"]) if live else 0

    try:
        wait_until(lambda: running_port() > 0, 120, "the stand-in running")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{running.logs()}") from None
    return running_port()


def create_key(admin: httpx.Client) -> str:
    limits = {"rpm_limit": LIMIT, "tpm_limit": LIMIT, "tpd_limit": LIMIT}
    resp = admin.post("/v2/api-keys", json={"name": "bench", "scope": "inference", **limits})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["value"])


def wait_routed(url: str, key: str) -> None:
    def listed() -> bool:
        resp = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"})
        return resp.status_code == 200 and MODEL in {m["id"] for m in resp.json()["data"]}

    wait_until(listed, 30, "the gateway to route the stand-in")


@contextmanager
def bare_forwarder(upstream: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [sys.executable, str(FORWARDER), str(port), FORWARDER_KEY, f"{MODEL}={upstream}"]
    proc = subprocess.Popen(command)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _listening(url), 30, "the bare forwarder")
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def _listening(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
        return True
    except httpx.HTTPError:
        return False


def report(figures: dict[str, Figures], cores: Cores, skipped: str | None) -> None:
    cpu = platform.processor() or platform.machine()
    print(f"\nmachine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}")
    print(f"pinning: {cores.describe()}")
    print(f"load: {load_average()}")
    direct = figures["direct"]
    print(
        "\n| target | p50 ms | p99 ms | p99.9 ms | added p50 ms | added p99 ms | req/s c=64 "
        "| CPU ms/req | streams/s c=64 | CPU ms/stream |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, f in figures.items():
        added = "" if name == "direct" else f"{f.p50 - direct.p50:+.3f}"
        added99 = "" if name == "direct" else f"{f.p99 - direct.p99:+.3f}"
        print(
            f"| {name} | {f.p50:.3f} | {f.p99:.3f} | {f.p999:.3f} | {added} | {added99} "
            f"| {f.rps:.0f} | {f.cpu_ms_req:.3f} | {f.sps:.0f} | {f.cpu_ms_stream:.3f} |"
        )
    if skipped:
        print(f"\nLiteLLM skipped: {skipped}")
    gw, bare = figures["gateway"], figures["bare forwarder"]
    # Ratios against the bare forwarder measured in the same run: the machine's noise hits
    # both alike, where absolute figures swing with whatever else runs.
    bare_added = max(bare.p50 - direct.p50, 1e-3)
    checks = [
        (
            "gateway / bare forwarder, added p50 at c=1",
            (gw.p50 - direct.p50) / bare_added,
            "<=",
            1.5,
        ),
        ("gateway / bare forwarder, req/s c=64", gw.rps / bare.rps, ">=", 0.9),
        ("gateway / bare forwarder, streams/s c=64", gw.sps / bare.sps, ">=", 0.9),
    ]
    if "litellm" in figures:
        checks.append(("gateway / LiteLLM, req/s", gw.rps / figures["litellm"].rps, ">=", 3.0))
    print("\n| figure | measured | target | met |")
    print("|---|---|---|---|")
    for title, value, op, goal in checks:
        met = value <= goal if op == "<=" else value >= goal
        print(f"| {title} | {value:.2f} | {op} {goal} | {'yes' if met else 'NO'} |")


def load_average() -> str:
    """The machine's load as `uptime` prints it: the figures mean little without it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="load per target and figure")
    parser.add_argument("--no-litellm", action="store_true", help="skip LiteLLM's proxy")
    parser.add_argument("--no-pin", action="store_true", help="leave processes on any core")
    parser.add_argument(
        "--route",
        action="store_true",
        help="reach the stand-in through a model route (the name resolves to a deployment)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="also sample the server with py-spy (from PATH) during sequential requests and "
        "write its collapsed stacks here",
    )
    parser.add_argument(
        "--litellm-venv", type=Path, default=DEFAULT_VENV, help="virtualenv with litellm[proxy]"
    )
    args = parser.parse_args()
    cores = Cores() if args.no_pin else Cores.detect()
    cores.pin(os.getpid(), proxy=False)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gpustack-bench-") as tmp, cluster(Path(tmp)) as c:
        server = c.start_server()
        admin = c.client()
        c.wait_worker_ready(admin, ["local"])
        port = deploy_standin(c, admin, Path(tmp), via_route=args.route)
        key = create_key(admin)
        wait_routed(c.url, key)
        assert server.proc is not None
        server_pid = server.proc.pid
        upstream = f"http://127.0.0.1:{port}"
        engine_pid = next(
            p.pid
            for p in psutil.Process(server_pid).children(recursive=True)
            if str(STANDIN) in " ".join(p.cmdline())
        )
        cores.pin(server_pid, proxy=True)
        for child in psutil.Process(server_pid).children(recursive=True):
            cores.pin(child.pid, proxy=False)
        path = "/v1/chat/completions"
        with bare_forwarder(upstream) as (bare_url, bare_pid):
            cores.pin(bare_pid, proxy=True)
            targets = [
                Target("direct", upstream + path, {}, (engine_pid,)),
                Target("bare forwarder", bare_url + path, _bearer(FORWARDER_KEY), (bare_pid,)),
                Target("gateway", c.url + path, _bearer(key), (server_pid,)),
            ]
            print(f"set up in {time.monotonic() - started:.0f} s; measuring", flush=True)
            print(f"load before: {load_average()}", flush=True)
            figures = asyncio.run(measure(MODEL, targets, args.seconds))
            if args.profile is not None:
                profile(server_pid, targets[-1], args.profile)
        # LiteLLM runs alone afterwards: its backlog must not load the others' core.
        with litellm_proxy(upstream, MODEL, venv=args.litellm_venv, skip=args.no_litellm) as (
            litellm,
            skipped,
        ):
            if litellm is not None:
                # Its server may run in a child process: pin and charge them all.
                pids = (litellm.pid, *(p.pid for p in psutil.Process(litellm.pid).children()))
                for pid in pids:
                    cores.pin(pid, proxy=True)
                target = Target("litellm", litellm.url + path, _bearer(litellm.key), pids)
                print("measuring LiteLLM's proxy", flush=True)
                figures |= asyncio.run(measure(MODEL, [target], args.seconds, FEW_ROUNDS))
        admin.close()
    report(figures, cores, skipped)
    print(f"\none run: {time.monotonic() - started:.0f} s")


def profile(pid: int, target: Target, out: Path) -> None:
    """py-spy's samples of the server under each load: `OUT.c1` while it serves sequential
    requests, `OUT.c64` under 64 concurrent requests, `OUT.sse64` under 64 concurrent streams."""
    spy = shutil.which("py-spy")
    if spy is None:
        print("profile skipped: py-spy is not on PATH (pip install py-spy)")
        return

    async def concurrent(stream: bool) -> None:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            await Load(session, MODEL).rate(target, 5.0, stream)

    loads: dict[str, Callable[[], Coroutine[Any, Any, object]]] = {
        "c1": lambda: sequential(MODEL, [target], rounds=30),
        "c64": lambda: concurrent(False),
        "sse64": lambda: concurrent(True),
    }
    for suffix, load in loads.items():
        path = out.with_name(f"{out.name}.{suffix}")
        command = [spy, "record", "--pid", str(pid), "--rate", "500", "--format", "raw"]
        proc = subprocess.Popen([*command, "--output", str(path), "--nonblocking"])
        time.sleep(1)  # py-spy attaches
        asyncio.run(load())
        proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        proc.wait(30)
        print(f"profile of the server ({suffix}, collapsed stacks): {path}")


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


if __name__ == "__main__":
    main()
