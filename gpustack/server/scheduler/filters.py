"""Filters: which workers (and which of their GPUs) may host the model at all.

Each filter is a small class whose `apply` either narrows the usable GPUs or rejects the
worker with a short human reason ("worker-b is not_ready"). The chain stops at the first
rejection, so each rejected worker is named once with the reason that matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from gpustack.engines.base import Engine
from gpustack.schemas.workers import WorkerState
from gpustack.server.scheduler.inputs import (
    GpuSelector,
    GpuView,
    PlacementSpec,
    WorkerView,
)

# Accelerator names engines list in `runs_on`, by GPU vendor.
ACCELERATOR_BY_VENDOR = {
    "nvidia": "cuda",
    "amd": "rocm",
    "apple": "metal",
    "ascend": "cann",
    "intel": "xpu",
}
KNOWN_OSES = frozenset({"linux", "darwin", "windows"})
# What `runs_on` holds for an engine that runs anywhere (e.g. `custom`).
ANYWHERE = "any"
# An engine whose CPU build is an install of its own (vLLM): it runs CPU-only on workers
# without a GPU it can use, never as a fallback on a worker whose GPUs are full.
CPU_IF_NO_GPU = "cpu_if_no_gpu"
CPU_TOKENS = frozenset({"cpu", CPU_IF_NO_GPU})


@dataclass(frozen=True, slots=True)
class Eligibility:
    """A worker going through the filters: the GPUs still usable, or why it was rejected."""

    worker: WorkerView
    gpus: tuple[GpuView, ...]
    reason: str | None = None

    def reject(self, why: str) -> Eligibility:
        return replace(self, reason=f"{self.worker.name} {why}")


class WorkerFilter(Protocol):
    def apply(self, item: Eligibility) -> Eligibility: ...


class ReadyStateFilter:
    """Only ready workers outside maintenance take new instances."""

    def apply(self, item: Eligibility) -> Eligibility:
        worker = item.worker
        if worker.maintenance or worker.state == WorkerState.MAINTENANCE:
            return item.reject("is in maintenance")
        if worker.state != WorkerState.READY:
            return item.reject(f"is {worker.state.value}")
        return item


class LabelFilter:
    """The worker must carry every label of the model's `worker_selector`."""

    def __init__(self, selector: dict[str, str]) -> None:
        self._selector = selector

    def apply(self, item: Eligibility) -> Eligibility:
        labels = item.worker.labels
        for key, wanted in self._selector.items():
            have = labels.get(key)
            if have is None:
                return item.reject(f"has no label {key}, selector wants {key}={wanted}")
            if have != wanted:
                return item.reject(f"has label {key}={have}, selector wants {key}={wanted}")
        return item


class LocalPathFilter:
    """A `local_path` model runs only where that path exists, when the worker has told us."""

    def __init__(self, local_path: str | None) -> None:
        self._path = local_path

    def apply(self, item: Eligibility) -> Eligibility:
        known = item.worker.existing_paths
        if self._path and known is not None and self._path not in known:
            return item.reject(f"has no file at {self._path}")
        return item


class EngineFilter:
    """The engine must run on the worker's OS and on its accelerators or CPU."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        runs_on = engine.runs_on
        self._anywhere = ANYWHERE in runs_on
        self._oses = runs_on & KNOWN_OSES
        self._cpu = bool(CPU_TOKENS & runs_on) or self._anywhere

    def usable(self, gpu: GpuView) -> bool:
        runs_on = self._engine.runs_on
        accelerator = ACCELERATOR_BY_VENDOR.get(gpu.vendor, gpu.vendor)
        return self._anywhere or accelerator in runs_on or gpu.vendor in runs_on

    def apply(self, item: Eligibility) -> Eligibility:
        name = self._engine.name
        if self._oses and not self._anywhere and item.worker.os not in self._oses:
            return item.reject(f"runs {item.worker.os}; {name} runs on {_listed(self._oses)}")
        gpus = tuple(g for g in item.gpus if self.usable(g))
        if not gpus and not self._cpu:
            wanted = _listed(self._engine.runs_on - KNOWN_OSES)
            return item.reject(f"has no accelerator {name} runs on ({wanted})")
        return item if len(gpus) == len(item.gpus) else replace(item, gpus=gpus)


class GpuSelectorFilter:
    """Keeps only pinned GPUs and rejects workers without enough GPUs per replica."""

    def __init__(self, selector: GpuSelector | None, across_workers: bool) -> None:
        self._pins = parse_gpu_ids(selector.gpu_ids) if selector else ()
        self._per_replica = selector.gpus_per_replica if selector else None
        self._across_workers = across_workers
        self._listed = ", ".join(selector.gpu_ids) if selector else ""

    def apply(self, item: Eligibility) -> Eligibility:
        gpus = item.gpus
        if self._pins:
            name = item.worker.name
            gpus = tuple(g for g in gpus if _pinned(name, g.index, self._pins))
            if not gpus:
                return item.reject(f"has none of the selected GPUs ({self._listed})")
        wanted = self._per_replica
        if wanted and len(gpus) < wanted and not self._across_workers:
            return item.reject(f"has {len(gpus)} usable GPUs, gpu_selector wants {wanted}")
        return item if gpus is item.gpus else replace(item, gpus=gpus)


def parse_gpu_ids(gpu_ids: Sequence[str]) -> tuple[tuple[str | None, int], ...]:
    """`"worker-a:cuda:0"` → `("worker-a", 0)`; `"1"` → `(None, 1)`."""
    pins: list[tuple[str | None, int]] = []
    for raw in gpu_ids:
        parts = raw.strip().split(":")
        try:
            index = int(parts[-1])
        except ValueError:
            raise ValueError(f"gpu id {raw!r} does not end with a GPU index") from None
        pins.append((parts[0] if len(parts) > 1 else None, index))
    return tuple(pins)


def build_filters(model: PlacementSpec, engine: Engine) -> tuple[WorkerFilter, ...]:
    """The filter chain for one model, cheapest first; filters with nothing to check are left
    out because the chain runs for every worker on every call."""
    chain: list[WorkerFilter] = [ReadyStateFilter()]
    if model.worker_selector:
        chain.append(LabelFilter(dict(model.worker_selector)))
    if model.local_path:
        chain.append(LocalPathFilter(model.local_path))
    chain.append(EngineFilter(engine))
    selector = model.gpu_selector
    if selector and (selector.gpu_ids or selector.gpus_per_replica):
        across = model.distributed_inference_across_workers
        chain.append(GpuSelectorFilter(selector, across))
    return tuple(chain)


def run_filters(
    workers: Sequence[WorkerView], filters: Sequence[WorkerFilter]
) -> tuple[list[Eligibility], list[Eligibility]]:
    """Split workers into (eligible, rejected), keeping the input order."""
    eligible: list[Eligibility] = []
    rejected: list[Eligibility] = []
    for worker in workers:
        item = Eligibility(worker, worker.gpus)
        for f in filters:
            item = f.apply(item)
            if item.reason is not None:
                break
        (rejected if item.reason is not None else eligible).append(item)
    return eligible, rejected


def _pinned(worker_name: str, index: int, pins: Sequence[tuple[str | None, int]]) -> bool:
    return any(i == index and (w is None or w == worker_name) for w, i in pins)


def _listed(names: frozenset[str]) -> str:
    return ", ".join(sorted(names))
