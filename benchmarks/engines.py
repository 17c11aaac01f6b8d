"""Engines benchmark: the same tiny model through our gateway and from the engine directly, in
one run, for llama.cpp and vLLM.

Run: `python benchmarks/engines.py [--requests 12] [--max-tokens 32] [--no-vllm]`.

A real `gpustack start` server (with its embedded worker) deploys a tiny random GGUF on
llama.cpp and, when a vLLM is installed (`.venv-engines/vllm`, or `GPUSTACK_VLLM_EXECUTABLE`),
a tiny random Qwen2 on vLLM (its CPU build here, `--enforce-eager`). For each engine it
measures, at concurrency 1 and in alternating rounds so that noise hits both alike:
tokens/s of non-streamed chat completions of `--max-tokens` tokens (`ignore_eos`), through
the gateway (API key, route table, balancer, usage records) and straight at the engine's
port; p50 latency of each and what the gateway adds; and the time from deploy to Running.
Prints a Markdown table and the ratios (target: gateway tokens/s >= 0.95 x direct); asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.models import write_tiny_llama_gguf  # noqa: E402
from tests.support.processes import Cluster, cluster, wait_until  # noqa: E402

VLLM = ROOT / ".venv-engines" / "vllm" / "bin" / "vllm"
# vLLM's CPU build on few cores: imports alone take tens of seconds.
START_TIMEOUT_S = 480
FAST_CPU_VLLM = ["--enforce-eager", "--kv-cache-memory-bytes", "256M"]
TARGET_RATIO = 0.95


@dataclass
class Run:
    """One engine's figures: per-request latencies (s) and completion tokens."""

    engine: str
    startup_s: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"gateway": [], "direct": []})
    tokens: dict[str, int] = field(default_factory=lambda: {"gateway": 0, "direct": 0})

    def tokens_per_s(self, via: str) -> float:
        spent = sum(self.latencies[via])
        return self.tokens[via] / spent if spent else 0.0

    def per_request(self, via: str) -> float:
        return self.tokens[via] / len(self.latencies[via]) if self.latencies[via] else 0.0

    def p50_ms(self, via: str) -> float:
        return statistics.median(self.latencies[via]) * 1000 if self.latencies[via] else 0.0


@dataclass(frozen=True)
class Deployment:
    """A running deployment: its name, the engine's loopback port, seconds to Running."""

    name: str
    model_id: int
    port: int
    startup_s: float
    instance: dict[str, Any]


@contextmanager
def gpustack(tmp: Path, env: dict[str, str]) -> Iterator[tuple[Cluster, httpx.Client, str]]:
    """A server with its embedded worker, an admin client and an inference key."""
    with cluster(tmp) as running:
        running.env.update(env)
        running.start_server()
        admin = running.client()
        running.wait_worker_ready(admin, ["local"])
        resp = admin.post("/v2/api-keys", json={"name": "bench", "scope": "inference"})
        assert resp.status_code == 201, resp.text
        try:
            yield running, admin, str(resp.json()["value"])
        finally:
            admin.close()


def deploy(
    running: Cluster, admin: httpx.Client, name: str, path: Path, timeout: float, **spec: Any
) -> Deployment:
    """Deploy and wait until Running; raises with the server's log when it fails."""
    body = {"name": name, "source": "local_path", "local_path": str(path), "categories": ["llm"]}
    started = time.monotonic()
    resp = admin.post("/v2/models", json=body | spec)
    assert resp.status_code == 201, resp.text
    model_id = int(resp.json()["id"])

    def running_instance() -> dict[str, Any] | None:
        items = admin.get(f"/v2/models/{model_id}/instances").json()["items"]
        failed = [i for i in items if i["state"] == "error"]
        if failed:
            raise AssertionError(f"{name} failed: {failed[0]['state_message']}")
        live = [i for i in items if i["state"] == "running"]
        return live[0] if live else None

    try:
        wait_until(lambda: running_instance() is not None, timeout, f"{name} running")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{running.logs()[-4000:]}") from None
    instance = running_instance()
    assert instance is not None
    elapsed = time.monotonic() - started
    return Deployment(name, model_id, int(instance["port"]), elapsed, instance)


def wait_routed(url: str, key: str, name: str) -> None:
    def listed() -> bool:
        resp = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"})
        return resp.status_code == 200 and name in {m["id"] for m in resp.json()["data"]}

    wait_until(listed, 30, f"the gateway to route {name}")


def chat(client: httpx.Client, url: str, model: str, headers: dict[str, str], tokens: int) -> int:
    """One non-streamed completion of exactly `tokens` tokens; returns the tokens counted."""
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "count from one to one hundred"}],
        "max_tokens": tokens,
        "ignore_eos": True,
        "temperature": 0,
    }
    resp = client.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=300)
    resp.raise_for_status()
    return int(resp.json()["usage"]["completion_tokens"])


def no_delay_client() -> httpx.Client:
    """A client that sends small writes at once: with Nagle's algorithm on, a request whose
    headers and body go out as two writes can wait for a delayed ACK (~40 ms on Linux) on some
    servers (llama.cpp's), which would charge the engine called directly, not the gateway."""
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    return httpx.Client(transport=httpx.HTTPTransport(socket_options=nodelay))


def measure(
    gateway_url: str, key: str, dep: Deployment, engine: str, requests: int, tokens: int
) -> Run:
    """Alternating gateway/direct requests at c=1, after one warm-up request each."""
    run = Run(engine, dep.startup_s)
    targets = {
        "gateway": (gateway_url, {"Authorization": f"Bearer {key}"}),
        "direct": (f"http://127.0.0.1:{dep.port}", {}),
    }
    with no_delay_client() as client:
        for url, headers in targets.values():
            chat(client, url, dep.name, headers, tokens)
        for _ in range(requests):
            for via, (url, headers) in targets.items():
                started = time.perf_counter()
                run.tokens[via] += chat(client, url, dep.name, headers, tokens)
                run.latencies[via].append(time.perf_counter() - started)
    return run


def vllm_program() -> str | None:
    chosen = os.environ.get("GPUSTACK_VLLM_EXECUTABLE")
    if chosen:
        return chosen
    return str(VLLM) if VLLM.is_file() else None


def report(runs: list[Run], skipped: list[str]) -> None:
    columns = (
        "engine", "start-up to Running (s)", "tokens/s direct", "tokens/s gateway", "ratio",
        "p50 direct (ms)", "p50 gateway (ms)", "added p50 (ms)", "tokens/request direct, gateway",
    )  # fmt: skip
    print("\n| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        direct, gateway = run.tokens_per_s("direct"), run.tokens_per_s("gateway")
        ratio = gateway / direct if direct else 0.0
        added = run.p50_ms("gateway") - run.p50_ms("direct")
        print(
            f"| {run.engine} | {run.startup_s:.1f} | {direct:.1f} | {gateway:.1f} | {ratio:.3f} "
            f"| {run.p50_ms('direct'):.1f} | {run.p50_ms('gateway'):.1f} | {added:+.1f} "
            f"| {run.per_request('direct'):.1f}, {run.per_request('gateway'):.1f} |"
        )
    print()
    for run in runs:
        direct = run.tokens_per_s("direct")
        ratio = run.tokens_per_s("gateway") / direct if direct else 0.0
        met = "yes" if ratio >= TARGET_RATIO else "NO"
        print(
            f"{run.engine}: gateway/direct tokens/s = {ratio:.3f} (target >= {TARGET_RATIO}: {met})"
        )
    for reason in skipped:
        print(f"skipped: {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=12, help="measured requests per target")
    parser.add_argument("--max-tokens", type=int, default=32, help="tokens per completion")
    parser.add_argument("--no-vllm", action="store_true", help="skip vLLM")
    args = parser.parse_args()
    program = None if args.no_vllm else vllm_program()
    skipped = [] if program else ["vllm (--no-vllm, or no vLLM installed: see docs/vllm.md)"]
    started = time.monotonic()
    runs = []
    with tempfile.TemporaryDirectory(prefix="gpustack-bench-") as tmp:
        env = {"GPUSTACK_VLLM_EXECUTABLE": program} if program else {}
        with gpustack(Path(tmp), env) as (running, admin, key):
            gguf = write_tiny_llama_gguf(Path(tmp) / "tiny-llama.gguf")
            dep = deploy(running, admin, "tiny-llamacpp", gguf, 120, backend="llama.cpp")
            wait_routed(running.url, key, dep.name)
            print(f"llama.cpp running after {dep.startup_s:.1f} s; measuring", flush=True)
            runs.append(measure(running.url, key, dep, "llama.cpp", args.requests, args.max_tokens))
            assert admin.delete(f"/v2/models/{dep.model_id}").status_code == 204
            if program:
                from tests.fixtures.tiny_hf_llm import write_tiny_qwen2_chat

                hf = write_tiny_qwen2_chat(Path(tmp) / "tiny-qwen2")
                dep = deploy(
                    running,
                    admin,
                    "tiny-vllm",
                    hf,
                    START_TIMEOUT_S,
                    backend="vllm",
                    backend_parameters=FAST_CPU_VLLM,
                )
                wait_routed(running.url, key, dep.name)
                print(f"vLLM running after {dep.startup_s:.1f} s; measuring", flush=True)
                runs.append(measure(running.url, key, dep, "vllm", args.requests, args.max_tokens))
    report(runs, skipped)
    print(f"\none run: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
