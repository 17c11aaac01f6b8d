"""Placing a model's replicas: filters → candidate selectors (rung by rung) → scorers.

`place_replicas` is what the scheduler loop and `/v2/model-evaluations` (dry run) call. It is
pure: it reads frozen views and returns placements, never touching the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gpustack.engines.base import Engine
from gpustack.server.scheduler.candidates import (
    Candidate,
    CandidateSelector,
    CpuOnlySelector,
    MultiGpuSelector,
    PartialOffloadSelector,
    SchedulingRound,
    SingleGpuSelector,
)
from gpustack.server.scheduler.distributed import DistributedSelector
from gpustack.server.scheduler.estimates import EstimateCache
from gpustack.server.scheduler.filters import KNOWN_OSES, Eligibility, build_filters, run_filters
from gpustack.server.scheduler.inputs import (
    InstanceClaim,
    ModelSpec,
    PlacementStrategy,
    WorkerView,
)
from gpustack.server.scheduler.ledger import CapacityLedger
from gpustack.server.scheduler.results import Placement, ReplicaPlan, ScheduleResult
from gpustack.server.scheduler.scorers import Scorer, build_scorers, total_score
from gpustack.server.scheduler.shortfall import explain_no_fit


def place_replicas(
    model: ModelSpec,
    workers: Sequence[WorkerView],
    engine: Engine,
    claims: Iterable[InstanceClaim] = (),
    count: int | None = None,
) -> ReplicaPlan:
    """Place `count` (default `model.replicas`) new instances; each claims before the next."""
    wanted = model.replicas if count is None else count
    problem = _model_problem(model, workers, engine)
    if problem:
        return ReplicaPlan((), wanted, problem)
    try:
        filters = build_filters(model, engine)
    except ValueError as exc:
        return ReplicaPlan((), wanted, str(exc))
    eligible, rejected = run_filters(workers, filters)
    selector = model.gpu_selector
    rnd = SchedulingRound(
        model=model,
        estimates=EstimateCache(engine, model),
        ledger=CapacityLedger(workers, claims),
        prefer_full=model.placement_strategy == PlacementStrategy.BINPACK,
        gpus_per_replica=selector.gpus_per_replica if selector else None,
    )
    cpu_allowed = cpu_placement_allowed(model, engine)
    ladder = build_ladder(model, cpu_allowed)
    scorers = build_scorers(model.placement_strategy)
    placements: list[Placement] = []
    for _ in range(wanted):
        placement = _place_one(eligible, rnd, ladder, scorers)
        if placement is None:
            reason = explain_no_fit(workers, eligible, rejected, rnd, cpu_allowed)
            done = f"placed {len(placements)} of {wanted} replicas; " if placements else ""
            return ReplicaPlan(tuple(placements), wanted, done + reason)
        rnd.ledger.claim(placement, model.name)
        placements.append(placement)
    return ReplicaPlan(tuple(placements), wanted, "")


def place_instance(
    model: ModelSpec,
    workers: Sequence[WorkerView],
    engine: Engine,
    claims: Iterable[InstanceClaim] = (),
) -> ScheduleResult:
    """Place one instance; the message is either where it went or why it could not go."""
    plan = place_replicas(model, workers, engine, claims, count=1)
    if plan.placements:
        return ScheduleResult(plan.placements[0], plan.placements[0].describe())
    return ScheduleResult(None, plan.message)


def build_ladder(model: ModelSpec, cpu_allowed: bool) -> tuple[CandidateSelector, ...]:
    """The rungs this model may use, in the order they are tried."""
    per_replica = model.gpu_selector.gpus_per_replica if model.gpu_selector else None
    ladder: list[CandidateSelector] = []
    if per_replica in (None, 1):
        ladder.append(SingleGpuSelector())
    if per_replica != 1:
        ladder.append(MultiGpuSelector())
    if model.distributed_inference_across_workers:
        ladder.append(DistributedSelector())
    if model.cpu_offloading:
        ladder.append(PartialOffloadSelector())
    if cpu_allowed:
        ladder.append(CpuOnlySelector())
    return tuple(ladder)


def cpu_placement_allowed(model: ModelSpec, engine: Engine) -> bool:
    """CPU only when the engine runs on CPU, no GPUs are pinned, and either the user allows
    CPU offloading or the engine has no accelerator to prefer."""
    runs_on = engine.runs_on
    if "cpu" not in runs_on and "any" not in runs_on:
        return False
    selector = model.gpu_selector
    if selector and (selector.gpu_ids or selector.gpus_per_replica):
        return False
    cpu_only_engine = not (runs_on - KNOWN_OSES - {"cpu"})
    return model.cpu_offloading or cpu_only_engine


def _place_one(
    eligible: Sequence[Eligibility],
    rnd: SchedulingRound,
    ladder: Sequence[CandidateSelector],
    scorers: tuple[Scorer, ...],
) -> Placement | None:
    for selector in ladder:
        candidates = selector.candidates(eligible, rnd)
        if candidates:
            return _best(candidates, rnd, scorers)
    return None


def _best(
    candidates: Sequence[Candidate], rnd: SchedulingRound, scorers: tuple[Scorer, ...]
) -> Placement:
    # Strictly greater keeps the first of equals, so ties go to the earlier worker.
    best, best_score = candidates[0], total_score(candidates[0], rnd, scorers)
    for candidate in candidates[1:]:
        score = total_score(candidate, rnd, scorers)
        if score > best_score:
            best, best_score = candidate, score
    worker = best.item.worker
    return Placement(
        worker_id=worker.id,
        worker_name=worker.name,
        gpu_indexes=best.gpu_indexes,
        claim=best.estimate,
        offload_layers=best.offload_layers,
        kind=best.kind,
        score=round(best_score, 3),
        helpers=best.helpers,
    )


def _model_problem(model: ModelSpec, workers: Sequence[WorkerView], engine: Engine) -> str:
    if not engine.serves(model.profile, model.categories):
        kinds = ", ".join(c.value for c in model.categories) or "no category"
        return f"{engine.name} cannot serve this model ({model.profile.format.value}, {kinds})"
    if not workers:
        return "no worker can run this model: no workers are registered"
    return ""
