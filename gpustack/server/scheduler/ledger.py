"""Free memory per worker and GPU while a scheduling round runs.

One ledger lives for one call: it starts from the workers' totals minus what is allocated and
already claimed, and each placement made in the round is claimed on it, so two replicas never
count the same free memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gpustack.engines.base import ResourceEstimate
from gpustack.server.scheduler.inputs import InstanceClaim, WorkerView
from gpustack.server.scheduler.results import Placement


class WorkerCapacity:
    """Free RAM and VRAM of one worker; mutated only through `CapacityLedger`."""

    __slots__ = ("ram_free", "ram_total", "vram_free", "vram_free_sum", "vram_total_sum")

    def __init__(self, worker: WorkerView) -> None:
        self.ram_total = worker.ram_total
        self.ram_free = worker.ram_total - worker.ram_allocated
        self.vram_free = {g.index: g.vram_total - g.vram_allocated for g in worker.gpus}
        self.vram_total_sum = sum(g.vram_total for g in worker.gpus)
        self.vram_free_sum = sum(self.vram_free.values())

    def take(self, gpu_indexes: Sequence[int], estimate: ResourceEstimate) -> None:
        self.ram_free -= estimate.ram_bytes
        for index, vram in zip(gpu_indexes, estimate.vram_bytes_per_gpu, strict=False):
            if index in self.vram_free:
                self.vram_free[index] -= vram
                self.vram_free_sum -= vram


class CapacityLedger:
    """Free capacity of every worker plus how many replicas of each model sit where."""

    def __init__(self, workers: Iterable[WorkerView], claims: Iterable[InstanceClaim]) -> None:
        self._capacity = {w.id: WorkerCapacity(w) for w in workers}
        self._replicas: dict[tuple[int, str], int] = {}
        for claim in claims:
            self._take(claim.worker_id, claim.gpu_indexes, claim.estimate)
            if claim.is_main:
                self._count(claim.worker_id, claim.model_name)

    def capacity(self, worker_id: int) -> WorkerCapacity:
        return self._capacity[worker_id]

    def replicas_on(self, worker_id: int, model_name: str) -> int:
        return self._replicas.get((worker_id, model_name), 0)

    def claim(self, placement: Placement, model_name: str) -> None:
        """Record a placement made in this round."""
        self._take(placement.worker_id, placement.gpu_indexes, placement.claim)
        for helper in placement.helpers:
            self._take(helper.worker_id, helper.gpu_indexes, helper.claim)
        self._count(placement.worker_id, model_name)

    def _take(self, worker_id: int, gpus: Sequence[int], estimate: ResourceEstimate) -> None:
        capacity = self._capacity.get(worker_id)
        # Claims on workers that left the cluster no longer hold anything we can place on.
        if capacity is not None:
            capacity.take(gpus, estimate)

    def _count(self, worker_id: int, model_name: str) -> None:
        key = (worker_id, model_name)
        self._replicas[key] = self._replicas.get(key, 0) + 1
