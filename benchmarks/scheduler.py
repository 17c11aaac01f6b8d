"""Scheduler benchmark: 1,000 instances on 200 simulated workers, against naive first-fit.

Run: `python benchmarks/scheduler.py`. One run, a table on stdout. Both placers see the same
workers, models and engine in the same process; the naive one takes the first worker and GPU
that fit, asking the engine at every check, and never scores.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpustack.engines.base import (
    Category,
    Engine,
    LaunchContext,
    LaunchSpec,
    ModelFormat,
    ModelProfile,
    PlacementRequest,
    ResourceEstimate,
    ResponseQuirks,
)
from gpustack.schemas.models import PlacementStrategy
from gpustack.schemas.workers import WorkerState
from gpustack.server.scheduler import (
    ClusterSnapshot,
    GpuView,
    InstanceClaim,
    PlacementSpec,
    WorkerView,
    place_replicas,
)

GB = 1000**3
GIB = 1024**3
WORKERS = 200
INSTANCES = 1000
TARGET_SECONDS = 2.0


class SimpleEstimatingEngine:
    """Stand-in when the llama.cpp engine is not available: weights + 8k-token KV + overhead."""

    name = "simple"
    runs_on = frozenset({"cpu", "cuda"})
    quirks = ResponseQuirks()

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        return True

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        kv = profile.kv_bytes_per_token * 8192
        if request.gpu_count == 0:
            return ResourceEstimate(profile.weights_bytes + kv + GIB // 4, (), 0)
        layers = profile.layer_count
        on_gpu = layers if request.offload_layers is None else request.offload_layers
        vram = on_gpu * profile.layer_bytes + kv * on_gpu // layers + GIB // 2
        vram += profile.non_layer_bytes if on_gpu == layers else 0
        ram = (layers - on_gpu) * profile.layer_bytes + GIB // 4
        share = -(-vram // request.gpu_count)
        return ResourceEstimate(ram, (share,) * request.gpu_count, on_gpu)

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        raise NotImplementedError


def pick_engine() -> Engine:
    try:
        from gpustack.engines.llamacpp import LlamaCppEngine
    except ImportError:
        return SimpleEstimatingEngine()
    return LlamaCppEngine()


def gguf(weights_gb: float, layers: int, kv_per_token: int, category: Category) -> ModelProfile:
    weights = int(weights_gb * GB)
    non_layer = weights // 20
    return ModelProfile(
        format=ModelFormat.GGUF,
        weights_bytes=weights,
        layer_count=layers,
        layer_bytes=(weights - non_layer) // layers,
        non_layer_bytes=non_layer,
        context_length=131072,
        kv_bytes_per_token=kv_per_token,
        categories=(category,),
    )


# name, profile, weight in the mix, replicas range, cpu_offloading
MODEL_MIX = [
    ("llama3.1-8b-q4", gguf(4.9, 32, 131072, Category.LLM), 30, (1, 6), True),
    ("qwen2.5-7b-q4", gguf(4.7, 28, 57344, Category.LLM), 20, (1, 6), True),
    ("llama3.1-8b-f16", gguf(16.1, 32, 131072, Category.LLM), 15, (1, 4), False),
    ("qwen2.5-7b-f16", gguf(15.2, 28, 57344, Category.LLM), 10, (1, 4), False),
    ("llama3.1-70b-q4", gguf(42.5, 80, 327680, Category.LLM), 8, (1, 3), False),
    ("llama3.1-70b-f16", gguf(141.0, 80, 327680, Category.LLM), 3, (1, 2), False),
    ("nomic-embed-f16", gguf(0.27, 12, 12288, Category.EMBEDDING), 7, (1, 4), True),
    ("bge-m3-f16", gguf(1.16, 24, 24576, Category.EMBEDDING), 7, (1, 4), True),
]
# gpus per box, VRAM per GPU (GiB), RAM (GiB), share of the fleet
MACHINES = [
    ("8xA100-80G", 8, 80, 1024, 0.2),
    ("4xL40S-48G", 4, 48, 512, 0.25),
    ("2xRTX4090-24G", 2, 24, 128, 0.35),
    ("cpu-only", 0, 0, 256, 0.2),
]


def build_workers(rng: random.Random) -> list[WorkerView]:
    workers = []
    for n in range(WORKERS):
        kind, gpus, vram_gib, ram_gib = _machine_for(n / WORKERS)
        # Snapshots: some memory already held by processes outside the scheduler.
        gpu_views = tuple(
            GpuView(i, vram_gib * GIB, int(vram_gib * GIB * rng.uniform(0, 0.3)))
            for i in range(gpus)
        )
        state = WorkerState.NOT_READY if n % 50 == 7 else WorkerState.READY
        workers.append(
            WorkerView(
                id=n + 1,
                name=f"{kind}-{n:03d}",
                state=state,
                ram_total=ram_gib * GIB,
                ram_allocated=int(ram_gib * GIB * rng.uniform(0.05, 0.3)),
                gpus=gpu_views,
                labels={"machine": kind, "zone": f"z{n % 3}"},
                maintenance=n % 67 == 13,
                downloaded_model_keys=frozenset({MODEL_MIX[n % len(MODEL_MIX)][0]}),
            )
        )
    return workers


def _machine_for(position: float) -> tuple[str, int, int, int]:
    edge = 0.0
    for kind, gpus, vram, ram, share in MACHINES:
        edge += share
        if position < edge:
            return kind, gpus, vram, ram
    kind, gpus, vram, ram, _ = MACHINES[-1]
    return kind, gpus, vram, ram


def build_deployments(rng: random.Random) -> list[PlacementSpec]:
    deployments: list[PlacementSpec] = []
    total = 0
    weights = [m[2] for m in MODEL_MIX]
    while total < INSTANCES:
        name, profile, _, (low, high), offload = rng.choices(MODEL_MIX, weights)[0]
        replicas = min(rng.randint(low, high), INSTANCES - total)
        strategy = rng.choice(list(PlacementStrategy))
        deployments.append(
            PlacementSpec(
                name=f"{name}-{len(deployments)}",
                backend="llama.cpp",
                profile=profile,
                categories=profile.categories,
                replicas=replicas,
                placement_strategy=strategy,
                cpu_offloading=offload,
                model_key=name,
            )
        )
        total += replicas
    return deployments


@dataclass
class Outcome:
    seconds: float
    placed: int
    claims: list[InstanceClaim]


def run_scheduler(
    workers: list[WorkerView], models: list[PlacementSpec], engine: Engine
) -> Outcome:
    # One scheduling pass: one snapshot, every deployment placed on it in turn.
    claims: list[InstanceClaim] = []
    placed = 0
    start = time.perf_counter()
    cluster = ClusterSnapshot(workers)
    for model in models:
        plan = place_replicas(model, cluster, engine)
        for placement in plan.placements:
            claims.extend(placement.claims(model.name))
        placed += len(plan.placements)
    return Outcome(time.perf_counter() - start, placed, claims)


def run_first_fit(
    workers: list[WorkerView], models: list[PlacementSpec], engine: Engine
) -> Outcome:
    ram = {w.id: w.ram_total - w.ram_allocated for w in workers}
    vram = {(w.id, g.index): g.vram_total - g.vram_allocated for w in workers for g in w.gpus}
    claims: list[InstanceClaim] = []
    start = time.perf_counter()
    for model in models:
        for _ in range(model.replicas):
            claim = _first_fit(model, workers, engine, ram, vram)
            if claim is None:
                break
            claims.append(claim)
            ram[claim.worker_id] -= claim.estimate.ram_bytes
            for index, need in zip(
                claim.gpu_indexes, claim.estimate.vram_bytes_per_gpu, strict=True
            ):
                vram[(claim.worker_id, index)] -= need
    return Outcome(time.perf_counter() - start, len(claims), claims)


def _first_fit(
    model: PlacementSpec,
    workers: list[WorkerView],
    engine: Engine,
    ram: dict[int, int],
    vram: dict[tuple[int, int], int],
) -> InstanceClaim | None:
    def ask(count: int) -> ResourceEstimate:
        return engine.estimate(model.profile, PlacementRequest(gpu_count=count))

    for w in workers:
        if w.state != WorkerState.READY or w.maintenance:
            continue
        for g in w.gpus:
            one = ask(1)
            if vram[(w.id, g.index)] >= one.vram_bytes_per_gpu[0] and ram[w.id] >= one.ram_bytes:
                return InstanceClaim(model.name, w.id, (g.index,), one)
        if len(w.gpus) > 1:
            every = ask(len(w.gpus))
            fits = all(
                vram[(w.id, g.index)] >= need
                for g, need in zip(w.gpus, every.vram_bytes_per_gpu, strict=True)
            )
            if fits and ram[w.id] >= every.ram_bytes:
                return InstanceClaim(model.name, w.id, tuple(g.index for g in w.gpus), every)
        if model.cpu_offloading and ram[w.id] >= ask(0).ram_bytes:
            return InstanceClaim(model.name, w.id, (), ask(0))
    return None


def overcommitted_gpus(workers: list[WorkerView], claims: list[InstanceClaim]) -> int:
    used = {(w.id, g.index): g.vram_allocated for w in workers for g in w.gpus}
    for claim in claims:
        for index, need in zip(claim.gpu_indexes, claim.estimate.vram_bytes_per_gpu, strict=True):
            used[(claim.worker_id, index)] += need
    totals = {(w.id, g.index): g.vram_total for w in workers for g in w.gpus}
    return sum(1 for key, bytes_used in used.items() if bytes_used > totals[key])


def busiest_worker(claims: list[InstanceClaim]) -> int:
    counts: dict[int, int] = {}
    for claim in claims:
        counts[claim.worker_id] = counts.get(claim.worker_id, 0) + 1
    return max(counts.values(), default=0)


def main() -> None:
    rng = random.Random(20240601)
    workers = build_workers(rng)
    models = build_deployments(rng)
    engine = pick_engine()
    gpus = sum(len(w.gpus) for w in workers)
    print(f"{len(workers)} workers ({gpus} GPUs), {len(models)} deployments, ", end="")
    print(f"{sum(m.replicas for m in models)} instances, engine: {engine.name}")
    runs: list[tuple[str, Callable[..., Outcome]]] = [
        ("scheduler", run_scheduler),
        ("naive first-fit", run_first_fit),
    ]
    results = {label: run(workers, models, engine) for label, run in runs}
    ours, naive = results["scheduler"], results["naive first-fit"]
    header = f"{'placer':<16} {'time (s)':>9} {'placed':>7} {'workers used':>13} "
    header += f"{'max on one worker':>18} {'over-committed GPUs':>20}"
    print(header)
    print("-" * len(header))
    for label, outcome in results.items():
        used = len({c.worker_id for c in outcome.claims})
        print(
            f"{label:<16} {outcome.seconds:>9.3f} {outcome.placed:>7} {used:>13} "
            f"{busiest_worker(outcome.claims):>18} "
            f"{overcommitted_gpus(workers, outcome.claims):>20}"
        )
    verdict = "within" if ours.seconds <= TARGET_SECONDS else "OVER"
    print(f"scheduler time {ours.seconds:.3f} s: {verdict} the {TARGET_SECONDS:.0f} s target")
    print(f"time ratio scheduler / first-fit: {ours.seconds / naive.seconds:.2f}x")
    print(f"placed ratio scheduler / first-fit: {ours.placed / max(1, naive.placed):.2f}")


if __name__ == "__main__":
    main()
