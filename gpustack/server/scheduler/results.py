"""What the scheduler answers: a placement per replica, or a message saying why not."""

from __future__ import annotations

from dataclasses import dataclass

from gpustack.engines.base import ResourceEstimate
from gpustack.server.scheduler.inputs import InstanceClaim


@dataclass(frozen=True, slots=True)
class WorkerShare:
    """The part of a distributed instance that runs on a helper worker."""

    worker_id: int
    worker_name: str
    gpu_indexes: tuple[int, ...]
    claim: ResourceEstimate


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one instance runs and the memory it claims there.

    `claim.vram_bytes_per_gpu[i]` is claimed on GPU `gpu_indexes[i]`; an empty `gpu_indexes`
    means CPU only.
    """

    worker_id: int
    worker_name: str
    gpu_indexes: tuple[int, ...]
    claim: ResourceEstimate
    offload_layers: int | None
    # Which rung of the ladder found it: single_gpu, multi_gpu, distributed,
    # partial_offload or cpu_only.
    kind: str
    score: float = 0.0
    helpers: tuple[WorkerShare, ...] = ()

    def claims(self, model_name: str) -> tuple[InstanceClaim, ...]:
        """This placement as claims, to feed back into the next scheduling round."""
        main = InstanceClaim(model_name, self.worker_id, self.gpu_indexes, self.claim)
        rest = tuple(
            InstanceClaim(model_name, h.worker_id, h.gpu_indexes, h.claim, is_main=False)
            for h in self.helpers
        )
        return (main, *rest)

    def describe(self) -> str:
        """A short human line for an instance's state message."""
        where = f"{self.worker_name} GPU {_indexes(self.gpu_indexes)}"
        if not self.gpu_indexes:
            where = f"{self.worker_name} (CPU only)"
        for h in self.helpers:
            where += f" + {h.worker_name} GPU {_indexes(h.gpu_indexes)}"
        if self.kind == "partial_offload":
            where += f", {self.offload_layers} layers on GPU"
        return f"scheduled on {where}"


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    """One instance's answer: a placement, or None and a message naming every shortfall."""

    placement: Placement | None
    message: str


@dataclass(frozen=True, slots=True)
class EngineDecision:
    """Which engine runs a deployment's instances, and for what: decided once, here."""

    backend: str
    backend_version: str | None
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReplicaPlan:
    """The answer for several replicas at once; claims accumulate between them."""

    placements: tuple[Placement, ...]
    requested: int
    # Why the first replica that could not be placed failed; "" when all were placed.
    message: str
    # None when no engine could be chosen (then nothing is placed).
    engine: EngineDecision | None = None

    @property
    def complete(self) -> bool:
        return len(self.placements) == self.requested


def _indexes(indexes: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in indexes)
