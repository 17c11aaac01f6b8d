"""A tiny engine with exact arithmetic and builders for scheduler views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gpustack.engines.base import (
    Category,
    LaunchContext,
    LaunchSpec,
    ModelFormat,
    ModelProfile,
    PlacementRequest,
    ResourceEstimate,
    ResponseQuirks,
)
from gpustack.schemas.workers import WorkerState
from gpustack.server.scheduler import GpuView, PlacementSpec, WorkerView

GIB = 1024**3
RAM_OVERHEAD = GIB // 2


@dataclass
class FakeEngine:
    """Full offload needs non-layer bytes + every layer in VRAM, split evenly over the GPUs;
    layers left off the GPUs and a fixed 0.5 GiB overhead go to RAM."""

    name: str = "fake"
    runs_on: frozenset[str] = frozenset({"cpu", "cuda"})
    quirks: ResponseQuirks = field(default_factory=ResponseQuirks)
    serves_models: bool = True
    calls: int = 0

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        return self.serves_models

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        self.calls += 1
        layers = profile.layer_count
        if request.gpu_count == 0:
            return ResourceEstimate(RAM_OVERHEAD + profile.weights_bytes, (), 0)
        on_gpu = layers if request.offload_layers is None else request.offload_layers
        vram = profile.non_layer_bytes + on_gpu * profile.layer_bytes
        per_gpu = -(-vram // request.gpu_count)
        ram = RAM_OVERHEAD + (layers - on_gpu) * profile.layer_bytes
        return ResourceEstimate(ram, (per_gpu,) * request.gpu_count, on_gpu)

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        raise NotImplementedError


def profile(layers: int = 8, layer_gib: float = 1.0, non_layer_gib: float = 1.0) -> ModelProfile:
    """Defaults give a 9.0 GiB model: 1 GiB + 8 layers x 1 GiB."""
    layer = int(layer_gib * GIB)
    non_layer = int(non_layer_gib * GIB)
    return ModelProfile(
        format=ModelFormat.GGUF,
        weights_bytes=non_layer + layers * layer,
        layer_count=layers,
        layer_bytes=layer,
        non_layer_bytes=non_layer,
        categories=(Category.LLM,),
    )


def model(**overrides: Any) -> PlacementSpec:
    values: dict[str, Any] = {
        "name": "qwen",
        "backend": "fake",
        "profile": profile(),
        "categories": (Category.LLM,),
        "model_key": "hf:qwen/qwen-8b-gguf",
    }
    values.update(overrides)
    return PlacementSpec(**values)


def gpu(
    index: int, total_gib: float = 24, allocated_gib: float = 0, vendor: str = "nvidia"
) -> GpuView:
    return GpuView(index, int(total_gib * GIB), int(allocated_gib * GIB), vendor)


def worker(
    worker_id: int,
    *gpus: GpuView,
    name: str | None = None,
    ram_gib: float = 64,
    state: WorkerState = WorkerState.READY,
    **overrides: Any,
) -> WorkerView:
    values: dict[str, Any] = {
        "id": worker_id,
        "name": name or f"worker-{'abcdefghij'[worker_id - 1]}",
        "state": state,
        "ram_total": int(ram_gib * GIB),
        "gpus": gpus,
    }
    values.update(overrides)
    return WorkerView(**values)
