"""The GPU check behind scripts/gpu-check.sh: NVML through the worker's inventory, tiny local
models (tests/fixtures builders), llama.cpp with full offload and vLLM when installed, one table.

Needs no network: the models are written here and the engines are the ones installed. Exits 0
with "no NVIDIA GPU: skipped" when the inventory finds none; exits 1 when an engine that was
tried does not reach Running.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.engines import chat, deploy, gpustack, vllm_program, wait_routed  # noqa: E402
from gpustack.schemas.worker_status import GPUDevice  # noqa: E402
from gpustack.worker.inventory.nvidia import NvidiaDetector  # noqa: E402
from tests.fixtures.models import write_tiny_llama_gguf  # noqa: E402

MIB = 1024 * 1024
# vLLM on a GPU: skip CUDA graph capture and keep the claim small; the model is tiny.
GPU_VLLM = ["--enforce-eager", "--gpu-memory-utilization", "0.3", "--max-model-len", "512"]


def gpus() -> list[GPUDevice]:
    detector = NvidiaDetector()
    try:
        return detector.detect()
    finally:
        detector.close()


def used_mib() -> int:
    return sum(g.memory.used for g in gpus()) // MIB


def claimed_mib(instance: dict[str, Any]) -> int:
    claim = instance.get("computed_resource_claim") or {}
    return sum(int(v) for v in (claim.get("vram") or {}).values()) // MIB


def tokens_per_s(url: str, key: str, name: str, requests: int, tokens: int) -> float:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client() as client:
        chat(client, url, name, headers, tokens)
        started, counted = time.perf_counter(), 0
        for _ in range(requests):
            counted += chat(client, url, name, headers, tokens)
        return counted / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--no-vllm", action="store_true", help="llama.cpp only")
    args = parser.parse_args()
    found = gpus()
    if not found:
        print("no NVIDIA GPU: skipped (the worker's inventory found none through NVML)")
        return 0
    for gpu in found:
        print(f"GPU {gpu.index}: {gpu.name}, {gpu.memory.total // MIB} MiB, {gpu.uuid}")
    program = None if args.no_vllm else vllm_program()
    rows: list[tuple[str, str, str, str, str]] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="gpustack-gpu-check-") as tmp:
        env = {"GPUSTACK_VLLM_EXECUTABLE": program} if program else {}
        with gpustack(Path(tmp), env) as (running, admin, key):
            plans: list[tuple[str, str, Path, dict[str, Any], float]] = [
                ("llama.cpp", "tiny-llamacpp", write_tiny_llama_gguf(Path(tmp) / "tiny.gguf"),
                 {"backend": "llama.cpp"}, 120),
            ]  # fmt: skip
            if program:
                from tests.fixtures.tiny_hf_llm import write_tiny_qwen2_chat

                hf = write_tiny_qwen2_chat(Path(tmp) / "tiny-qwen2")
                spec = {"backend": "vllm", "backend_parameters": GPU_VLLM}
                plans.append(("vllm", "tiny-vllm", hf, spec, 300))
            for engine, name, path, spec, timeout in plans:
                before = used_mib()
                try:
                    dep = deploy(running, admin, name, path, timeout, **spec)
                    wait_routed(running.url, key, name)
                    speed = tokens_per_s(running.url, key, name, args.requests, args.max_tokens)
                except AssertionError as exc:
                    failed = True
                    print(f"{engine}: {str(exc)[:2000]}", file=sys.stderr)
                    rows.append((engine, "error", "-", "-", "-"))
                    continue
                gpu = ",".join(str(i) for i in dep.instance["gpu_indexes"]) or "none (CPU)"
                claim = dep.instance.get("computed_resource_claim") or {}
                layers = claim.get("offload_layers")
                state = f"running on GPU {gpu}" + (f", {layers} layers" if layers else "")
                rows.append(
                    (
                        engine,
                        state,
                        f"{speed:.1f}",
                        str(claimed_mib(dep.instance)),
                        str(used_mib() - before),
                    )
                )
                admin.delete(f"/v2/models/{dep.model_id}")
    if not program:
        rows.append(("vllm", "skipped: not installed (docs/vllm.md)", "-", "-", "-"))
    print("\n| engine | state | tokens/s | GPU MiB claimed | GPU MiB used |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
