"""Wake-up overhead of a sleeping deployment: TTFT of the first request after sleep minus the
engine's own start-to-ready time (target <= 1 s).

One command, one run: measures llama.cpp started by hand (process start to `/health` 200),
then starts a real server with its embedded worker, deploys the same GGUF with
`min_replicas: 0`, lets it fall asleep and times the first token of a streamed chat, a few
rounds each, interleaved; prints both medians and the difference.

    .venv/bin/python benchmarks/elastic.py [--rounds 3] [--gguf PATH]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.gateway_support import GatewayCluster, gateway_cluster
from tests.fixtures.models import write_tiny_llama_gguf
from tests.support.processes import free_port, instances_of, wait_until

IDLE_TIMEOUT_S = 2


def engine_start_to_ready(gguf: Path) -> float:
    """Seconds from launching llama.cpp as the worker does to its health path answering."""
    port = free_port()
    argv = [sys.executable, "-m", "gpustack.engines.llamacpp_launcher", "--model", str(gguf)]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--alias", "bench"]
    argv += ["--parallel", "4", "--n-gpu-layers", "0"]
    started = time.perf_counter()
    engine = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=1) as client:
            while True:
                try:
                    if client.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if engine.poll() is not None:
                    raise RuntimeError("the engine exited before it was ready")
                time.sleep(0.01)
    finally:
        engine.terminate()
        engine.wait(30)


def first_token_after_sleep(gw: GatewayCluster, model_id: int) -> float:
    """Let the deployment fall asleep, then time a streamed chat to its first data event."""

    def asleep() -> bool:
        state = gw.admin.get(f"/v2/models/{model_id}").json()["state"]
        return state == "sleeping" and not instances_of(gw.admin, model_id)

    wait_until(asleep, 120, "the deployment asleep", interval=0.2)
    body = {"model": "bench", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    body["stream"] = True
    started = time.perf_counter()
    with (
        httpx.Client(base_url=gw.url, timeout=300) as client,
        client.stream("POST", "/v1/chat/completions", json=body, headers=gw.bearer()) as resp,
    ):
        assert resp.status_code == 200, resp.read()
        ttft: float | None = None
        for line in resp.iter_lines():
            if ttft is None and line.startswith("data:"):
                ttft = time.perf_counter() - started
    assert ttft is not None, "the stream ended without a token"
    return ttft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gguf", type=Path, help="a GGUF to use (default: a tiny random one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gguf = args.gguf or write_tiny_llama_gguf(Path(tmp) / "tiny.gguf")
        engine: list[float] = []
        ttfts: list[float] = []
        with gateway_cluster(Path(tmp)) as gw:
            model_id = gw.deploy(
                "bench", gguf, backend="llama.cpp", min_replicas=0, idle_timeout=IDLE_TIMEOUT_S
            )
            # Interleaved, so both see the same load on a shared machine.
            for _ in range(args.rounds):
                ttfts.append(first_token_after_sleep(gw, model_id))
                engine.append(engine_start_to_ready(gguf))
    engine_s, ttft_s = statistics.median(engine), statistics.median(ttfts)
    print(f"{'measure (median of ' + str(args.rounds) + ')':<44}{'seconds':>10}")
    print(f"{'engine start-to-ready (llama.cpp by hand)':<44}{engine_s:>10.3f}")
    print(f"{'TTFT of the first request after sleep':<44}{ttft_s:>10.3f}")
    print(f"wake-up overhead: {ttft_s - engine_s:.3f} s (target <= 1.000 s)")


if __name__ == "__main__":
    main()
