"""Placing a model's replicas: filters → candidate selectors (rung by rung) → scorers.

`place_replicas` is what the scheduler loop and `/v2/model-evaluations` (dry run) call. It
never touches the database: it reads frozen views, and its one side effect is claiming each
placement on the `ClusterSnapshot` it was given.
"""

from __future__ import annotations

from collections.abc import Sequence

from gpustack.engines.base import Engine
from gpustack.schemas.models import PlacementStrategy
from gpustack.server.scheduler.candidates import (
    CandidateSelector,
    CpuOnlySelector,
    MultiGpuSelector,
    PartialOffloadSelector,
    SchedulingRound,
    SingleGpuSelector,
)
from gpustack.server.scheduler.distributed import DistributedSelector
from gpustack.server.scheduler.estimates import EstimateCache
from gpustack.server.scheduler.filters import (
    ANYWHERE,
    CPU_IF_NO_GPU,
    CPU_TOKENS,
    KNOWN_OSES,
    build_filters,
    run_filters,
)
from gpustack.server.scheduler.inputs import PlacementSpec, WorkerView
from gpustack.server.scheduler.ladder_walk import LadderWalk
from gpustack.server.scheduler.results import Placement, ReplicaPlan, ScheduleResult
from gpustack.server.scheduler.scorers import build_scorers
from gpustack.server.scheduler.shortfall import explain_no_fit
from gpustack.server.scheduler.snapshot import ClusterSnapshot


def place_replicas(
    model: PlacementSpec,
    cluster: ClusterSnapshot,
    engine: Engine,
    count: int | None = None,
) -> ReplicaPlan:
    """Place `count` (default `model.replicas`) new instances.

    Each placement is claimed on `cluster` before the next replica is placed, so replicas
    (and later calls on the same snapshot) never share the same free memory.
    """
    wanted = model.replicas if count is None else count
    workers = cluster.workers
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
        ledger=cluster.ledger,
        prefer_full=model.placement_strategy == PlacementStrategy.BINPACK,
        gpus_per_replica=selector.gpus_per_replica if selector else None,
        cpu_beside_gpus=CPU_IF_NO_GPU not in engine.runs_on,
    )
    cpu_allowed = cpu_placement_allowed(model, engine)
    ladder = build_ladder(model, cpu_allowed)
    scorers = build_scorers(model.placement_strategy)
    walk = LadderWalk(eligible, rnd, ladder, scorers)
    placements: list[Placement] = []
    for _ in range(wanted):
        placement = walk.next_placement()
        if placement is None:
            reason = explain_no_fit(workers, eligible, rejected, rnd, cpu_allowed)
            done = f"placed {len(placements)} of {wanted} replicas; " if placements else ""
            return ReplicaPlan(tuple(placements), wanted, done + reason)
        rnd.ledger.claim(placement, model.name)
        walk.claimed(placement)
        placements.append(placement)
    return ReplicaPlan(tuple(placements), wanted, "")


def place_instance(
    model: PlacementSpec, cluster: ClusterSnapshot, engine: Engine
) -> ScheduleResult:
    """Place one instance; the message is either where it went or why it could not go."""
    plan = place_replicas(model, cluster, engine, count=1)
    if plan.placements:
        return ScheduleResult(plan.placements[0], plan.placements[0].describe())
    return ScheduleResult(None, plan.message)


def build_ladder(model: PlacementSpec, cpu_allowed: bool) -> tuple[CandidateSelector, ...]:
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


def cpu_placement_allowed(model: PlacementSpec, engine: Engine) -> bool:
    """CPU only when the engine runs on CPU, no GPUs are pinned, and either the user allows
    CPU offloading or the engine has no accelerator to prefer."""
    runs_on = engine.runs_on
    if not CPU_TOKENS & runs_on and ANYWHERE not in runs_on:
        return False
    selector = model.gpu_selector
    if selector and (selector.gpu_ids or selector.gpus_per_replica):
        return False
    cpu_only_engine = not (runs_on - KNOWN_OSES - CPU_TOKENS)
    return model.cpu_offloading or cpu_only_engine


def _model_problem(model: PlacementSpec, workers: Sequence[WorkerView], engine: Engine) -> str:
    if not engine.serves(model.profile, model.categories):
        kinds = ", ".join(c.value for c in model.categories) or "no category"
        return f"{engine.name} cannot serve this model ({model.profile.format.value}, {kinds})"
    if not workers:
        return "no worker can run this model: no workers are registered"
    return ""
