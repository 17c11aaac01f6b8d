"""Across workers: one instance whose layers spread over GPUs of several workers.

Used only when the model allows `distributed_inference_across_workers` and no single worker
holds it. The main worker runs the engine and claims the RAM; helper workers lend GPUs.
"""

from __future__ import annotations

from collections.abc import Sequence

from gpustack.engines.base import ResourceEstimate
from gpustack.server.scheduler.candidates import Candidate, SchedulingRound
from gpustack.server.scheduler.filters import Eligibility
from gpustack.server.scheduler.results import WorkerShare

# (free bytes, position of the worker in the eligible list, gpu index, gpu total)
_PooledGpu = tuple[int, int, int, int]


class DistributedSelector:
    """The fewest GPUs cluster-wide, emptiest first, that hold the model together."""

    kind = "distributed"
    per_worker = False

    def __init__(self, max_gpus: int = 64) -> None:
        self._max_gpus = max_gpus

    def candidates(self, eligible: Sequence[Eligibility], rnd: SchedulingRound) -> list[Candidate]:
        pool = self._pool(eligible, rnd)
        if rnd.gpus_per_replica is not None:
            counts = range(rnd.gpus_per_replica, rnd.gpus_per_replica + 1)
        else:
            counts = range(2, min(len(pool), self._max_gpus) + 1)
        for count in counts:
            if count > len(pool):
                break
            candidate = self._try(pool[:count], eligible, rnd)
            if candidate is not None:
                return [candidate]
        return []

    def _pool(self, eligible: Sequence[Eligibility], rnd: SchedulingRound) -> list[_PooledGpu]:
        pool: list[_PooledGpu] = []
        for position, item in enumerate(eligible):
            free = rnd.ledger.capacity(item.worker.id).vram_free
            pool.extend((free[g.index], position, g.index, g.vram_total) for g in item.gpus)
        pool.sort(key=lambda p: (-p[0], p[1], p[2]))
        return pool

    def _try(
        self, chosen: Sequence[_PooledGpu], eligible: Sequence[Eligibility], rnd: SchedulingRound
    ) -> Candidate | None:
        by_worker: dict[int, list[_PooledGpu]] = {}
        for gpu in chosen:
            by_worker.setdefault(gpu[1], []).append(gpu)
        # The worker lending the most GPUs runs the engine (first seen wins a tie).
        main = max(by_worker, key=lambda w: len(by_worker[w]))
        ordered = [*by_worker[main], *(g for w, gs in by_worker.items() if w != main for g in gs)]
        estimate = rnd.estimates.get(tuple(g[3] for g in ordered))
        demands = estimate.vram_bytes_per_gpu
        if any(g[0] < need for g, need in zip(ordered, demands, strict=True)):
            return None
        main_item = eligible[main]
        if rnd.ledger.capacity(main_item.worker.id).ram_free < estimate.ram_bytes:
            return None
        main_count = len(by_worker[main])
        main_claim = ResourceEstimate(
            estimate.ram_bytes, demands[:main_count], estimate.offload_layers, estimate.note
        )
        helpers, offset = [], main_count
        for position, gpus in by_worker.items():
            if position == main:
                continue
            share = demands[offset : offset + len(gpus)]
            offset += len(gpus)
            worker = eligible[position].worker
            claim = ResourceEstimate(0, share)
            helpers.append(WorkerShare(worker.id, worker.name, tuple(g[2] for g in gpus), claim))
        indexes = tuple(g[2] for g in by_worker[main])
        return Candidate(
            main_item, self.kind, indexes, main_claim, estimate.offload_layers, tuple(helpers)
        )
