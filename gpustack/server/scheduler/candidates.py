"""Candidate selectors: the ways one instance could run, asked of the engine rung by rung.

The ladder is tried in order across the whole cluster and stops at the first rung where any
worker fits: one GPU → several GPUs on one worker → across workers (when allowed) → partial
offload (some layers in RAM) → CPU only. Each selector returns at most one candidate per
worker, so a rung costs O(workers x GPUs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gpustack.engines.base import ResourceEstimate
from gpustack.server.scheduler.estimates import EstimateCache
from gpustack.server.scheduler.filters import Eligibility
from gpustack.server.scheduler.gpu_fit import FreeGpu, emptiest_first, fit_demands
from gpustack.server.scheduler.inputs import PlacementSpec
from gpustack.server.scheduler.ledger import CapacityLedger, WorkerCapacity
from gpustack.server.scheduler.results import WorkerShare


@dataclass(slots=True)
class SchedulingRound:
    """What every selector and scorer needs while one model's replicas are placed."""

    model: PlacementSpec
    estimates: EstimateCache
    ledger: CapacityLedger
    # binpack: fill the fullest GPU/worker that fits; spread: the emptiest.
    prefer_full: bool
    gpus_per_replica: int | None
    # False for engines that run CPU-only only on workers without a usable GPU.
    cpu_beside_gpus: bool = True


@dataclass(frozen=True, slots=True)
class Candidate:
    """One way to run the instance on one worker (plus helpers when distributed)."""

    item: Eligibility
    kind: str
    gpu_indexes: tuple[int, ...]
    estimate: ResourceEstimate
    offload_layers: int | None = None
    helpers: tuple[WorkerShare, ...] = ()


class CandidateSelector(Protocol):
    kind: str
    # True when a worker's candidate depends only on that worker, so it can be kept until the
    # worker takes a claim; False for cluster-wide selectors.
    per_worker: bool

    def candidates(self, eligible: Sequence[Eligibility], rnd: SchedulingRound) -> list[Candidate]:
        """At most one candidate per worker that fits this rung."""
        ...


class SingleGpuSelector:
    """The whole model on one GPU: the emptiest (spread) or fullest (binpack) that fits."""

    kind = "single_gpu"
    per_worker = True

    def candidates(self, eligible: Sequence[Eligibility], rnd: SchedulingRound) -> list[Candidate]:
        # The hot path of most placements: one engine price per GPU size and plain loops.
        prices: dict[int, tuple[int, int, ResourceEstimate]] = {}
        ledger, prefer_full, found = rnd.ledger, rnd.prefer_full, []
        for item in eligible:
            if not item.gpus:
                continue
            capacity = ledger.capacity(item.worker.id)
            vram_free, ram_free = capacity.vram_free, capacity.ram_free
            best_free, best_index, best_estimate = -1, -1, None
            for gpu in item.gpus:
                price = prices.get(gpu.vram_total)
                if price is None:
                    estimate = rnd.estimates.get((gpu.vram_total,))
                    price = (estimate.vram_bytes_per_gpu[0], estimate.ram_bytes, estimate)
                    prices[gpu.vram_total] = price
                free = vram_free[gpu.index]
                if free < price[0] or ram_free < price[1]:
                    continue
                if best_estimate is None or (free < best_free if prefer_full else free > best_free):
                    best_free, best_index, best_estimate = free, gpu.index, price[2]
            if best_estimate is not None:
                found.append(
                    Candidate(
                        item, self.kind, (best_index,), best_estimate, best_estimate.offload_layers
                    )
                )
        return found


class MultiGpuSelector:
    """The whole model split over the fewest GPUs of one worker that hold it."""

    kind = "multi_gpu"
    per_worker = True

    def candidates(self, eligible: Sequence[Eligibility], rnd: SchedulingRound) -> list[Candidate]:
        found = []
        for item in eligible:
            capacity = rnd.ledger.capacity(item.worker.id)
            for count in _gpu_counts(len(item.gpus), rnd.gpus_per_replica):
                fit = fit_on_worker(item, capacity, count, None, rnd)
                if fit is not None and capacity.ram_free >= fit[1].ram_bytes:
                    found.append(Candidate(item, self.kind, fit[0], fit[1], fit[1].offload_layers))
                    break
        return found


class PartialOffloadSelector:
    """As many layers as fit on the worker's GPUs; the rest run from RAM."""

    kind = "partial_offload"
    per_worker = True

    def candidates(self, eligible: Sequence[Eligibility], rnd: SchedulingRound) -> list[Candidate]:
        layers = rnd.model.profile.layer_count
        if layers < 2:
            return []
        found = []
        for item in eligible:
            count = rnd.gpus_per_replica or len(item.gpus)
            if not item.gpus or count > len(item.gpus):
                continue
            candidate = self._deepest_fit(item, count, layers, rnd)
            if candidate is not None:
                found.append(candidate)
        return found

    def _deepest_fit(
        self, item: Eligibility, count: int, layers: int, rnd: SchedulingRound
    ) -> Candidate | None:
        capacity = rnd.ledger.capacity(item.worker.id)
        # VRAM grows with the layers offloaded: binary-search the most that fit.
        low, high, best = 1, layers - 1, None
        while low <= high:
            mid = (low + high) // 2
            fit = fit_on_worker(item, capacity, count, mid, rnd)
            if fit is None:
                high = mid - 1
            else:
                best, low = (mid, fit), mid + 1
        # RAM shrinks as layers move to GPUs, so the deepest fit is also the lightest on RAM.
        if best is None or capacity.ram_free < best[1][1].ram_bytes:
            return None
        layers_on_gpu, (indexes, estimate) = best
        offload = estimate.offload_layers if estimate.offload_layers is not None else layers_on_gpu
        return Candidate(item, self.kind, indexes, estimate, offload)


class CpuOnlySelector:
    """Everything in RAM, for workers without a usable GPU or (when the engine's one build
    runs on both) with full ones."""

    kind = "cpu_only"
    per_worker = True

    def candidates(self, eligible: Sequence[Eligibility], rnd: SchedulingRound) -> list[Candidate]:
        estimate = rnd.estimates.get(())
        return [
            Candidate(item, self.kind, (), estimate, 0)
            for item in eligible
            if (rnd.cpu_beside_gpus or not item.gpus)
            and rnd.ledger.capacity(item.worker.id).ram_free >= estimate.ram_bytes
        ]


def fit_on_worker(
    item: Eligibility,
    capacity: WorkerCapacity,
    count: int,
    offload_layers: int | None,
    rnd: SchedulingRound,
) -> tuple[tuple[int, ...], ResourceEstimate] | None:
    """GPUs of one worker that hold `count` GPUs' share of VRAM (RAM is the caller's check)."""
    if count > len(item.gpus):
        return None
    total_of = {g.index: g.vram_total for g in item.gpus}
    free: list[FreeGpu] = [(capacity.vram_free[g.index], g.index) for g in item.gpus]
    emptiest = emptiest_first(free)[:count]
    priced_for = tuple(total_of[i] for _, i in emptiest)
    estimate = rnd.estimates.get(priced_for, offload_layers)
    chosen = fit_demands(estimate.vram_bytes_per_gpu, free, rnd.prefer_full)
    if chosen is None:
        return None
    totals = tuple(total_of[i] for i in chosen)
    if totals != priced_for:
        # Mixed GPU sizes: price the GPUs actually chosen and check them again.
        estimate = rnd.estimates.get(totals, offload_layers)
        free_of = {i: f for f, i in free}
        if any(
            free_of[i] < need for i, need in zip(chosen, estimate.vram_bytes_per_gpu, strict=True)
        ):
            return None
    return chosen, estimate


def _gpu_counts(available: int, per_replica: int | None) -> range:
    if per_replica is not None:
        return range(per_replica, per_replica + 1) if per_replica >= 2 else range(0)
    return range(2, available + 1)
