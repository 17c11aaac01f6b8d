"""Scorers: rank the candidates of one rung; the highest total wins.

Each scorer gives 0 to 100 and carries a weight. `spread` prefers workers with fewer replicas of
the model and more free memory; `binpack` prefers fuller workers. Files already downloaded
earn a locality bonus; on the partial-offload rung, more layers on GPU come first.
"""

from __future__ import annotations

from typing import Protocol

from gpustack.schemas.models import PlacementStrategy
from gpustack.server.scheduler.candidates import Candidate, SchedulingRound


class Scorer(Protocol):
    weight: float

    def score(self, candidate: Candidate, rnd: SchedulingRound) -> float: ...


class EmptinessScorer:
    """Share of the worker's memory still free after this instance: VRAM, or RAM if CPU only."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def score(self, candidate: Candidate, rnd: SchedulingRound) -> float:
        return 100.0 * free_share_after(candidate, rnd)


class FullnessScorer:
    """Share of the worker's memory in use after this instance (binpack)."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def score(self, candidate: Candidate, rnd: SchedulingRound) -> float:
        return 100.0 * (1.0 - free_share_after(candidate, rnd))


class ReplicaSpreadScorer:
    """Fewer replicas of the same model on the worker score higher."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def score(self, candidate: Candidate, rnd: SchedulingRound) -> float:
        return 100.0 / (1 + rnd.ledger.replicas_on(candidate.item.worker.id, rnd.model.name))


class LocalityScorer:
    """A worker that already holds the model's files starts it without a download."""

    def __init__(self, weight: float = 0.1) -> None:
        self.weight = weight

    def score(self, candidate: Candidate, rnd: SchedulingRound) -> float:
        key = rnd.model.model_key
        return 100.0 if key and key in candidate.item.worker.downloaded_model_keys else 0.0


class OffloadDepthScorer:
    """On the partial-offload rung, more layers on GPU beat everything else."""

    def __init__(self, weight: float = 10.0) -> None:
        self.weight = weight

    def score(self, candidate: Candidate, rnd: SchedulingRound) -> float:
        layers = rnd.model.profile.layer_count
        if candidate.kind != "partial_offload" or not layers:
            return 0.0
        return 100.0 * (candidate.offload_layers or 0) / layers


def free_share_after(candidate: Candidate, rnd: SchedulingRound) -> float:
    capacity = rnd.ledger.capacity(candidate.item.worker.id)
    estimate = candidate.estimate
    if candidate.gpu_indexes and capacity.vram_total_sum > 0:
        free = capacity.vram_free_sum - sum(estimate.vram_bytes_per_gpu)
        return max(0.0, free / capacity.vram_total_sum)
    if capacity.ram_total <= 0:
        return 0.0
    return max(0.0, (capacity.ram_free - estimate.ram_bytes) / capacity.ram_total)


def build_scorers(strategy: PlacementStrategy) -> tuple[Scorer, ...]:
    if strategy == PlacementStrategy.BINPACK:
        return (FullnessScorer(), LocalityScorer(), OffloadDepthScorer())
    return (ReplicaSpreadScorer(), EmptinessScorer(), LocalityScorer(), OffloadDepthScorer())


def total_score(candidate: Candidate, rnd: SchedulingRound, scorers: tuple[Scorer, ...]) -> float:
    total = 0.0
    for scorer in scorers:
        total += scorer.weight * scorer.score(candidate, rnd)
    return total
