"""Dry-run scheduling for `/v2/model-evaluations`: would these deployments fit right now?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.engines.registry import EngineRegistry
from gpustack.schemas.models import ModelSpec
from gpustack.server.scheduler.analysis import ModelAnalysisError, ModelAnalyzer
from gpustack.server.scheduler.cluster_rows import ClusterRows, load_cluster
from gpustack.server.scheduler.db_views import claim_json, holds_resources, instance_claims
from gpustack.server.scheduler.deployment_plan import plan_deployment
from gpustack.server.scheduler.results import Placement
from gpustack.server.scheduler.snapshot import ClusterSnapshot


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Whether every replica of a spec fits, why not, and where each would go."""

    compatible: bool
    message: str
    placements: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "compatible": self.compatible,
            "message": self.message,
            "placements": list(self.placements),
        }


async def evaluate_specs(
    session: AsyncSession,
    specs: list[ModelSpec],
    analyzer: ModelAnalyzer,
    registry: EngineRegistry,
) -> list[Evaluation]:
    """Each spec alone against the cluster as it is now; nothing is written."""
    rows = await load_cluster(session)
    return [await _evaluate(spec, rows, analyzer, registry) for spec in specs]


async def _evaluate(
    spec: ModelSpec, rows: ClusterRows, analyzer: ModelAnalyzer, registry: EngineRegistry
) -> Evaluation:
    try:
        analysis = await analyzer.analyze(spec)
    except ModelAnalysisError as exc:
        return Evaluation(False, str(exc))
    wanted = max(spec.replicas, 1)
    snapshot = _snapshot_without(rows, spec.name)
    plan = plan_deployment(spec, analysis, snapshot, registry, wanted)
    vendors = {w.id: {g.index: g.vendor for g in w.gpus} for w in snapshot.workers}
    placements = tuple(
        p for placement in plan.placements for p in _placement_json(placement, vendors)
    )
    if not plan.complete:
        return Evaluation(False, plan.message, placements)
    where = "; ".join(p.describe().removeprefix("scheduled on ") for p in plan.placements)
    caveat = f" ({analysis.caveat})" if analysis.caveat else ""
    return Evaluation(True, f"fits: {where}{caveat}", placements)


def _snapshot_without(rows: ClusterRows, model_name: str) -> ClusterSnapshot:
    """The cluster less the deployment being evaluated, so editing one does not count its
    current instances against its new shape."""
    claims = [
        c
        for i in rows.instances
        if holds_resources(i) and i.model_name != model_name
        for c in instance_claims(i)
    ]
    return ClusterSnapshot(rows.snapshot().workers, claims)


def _placement_json(
    placement: Placement, vendors: dict[int, dict[int, str]]
) -> list[dict[str, Any]]:
    """One entry per worker; `gpu_vendor` says whose GPUs (None on CPU only)."""
    parts = [(placement.worker_id, placement.worker_name, placement.gpu_indexes, placement.claim)]
    parts += [(h.worker_id, h.worker_name, h.gpu_indexes, h.claim) for h in placement.helpers]
    out = []
    for worker_id, worker_name, indexes, estimate in parts:
        claim = claim_json(estimate, indexes)
        out.append(
            {
                "worker_id": worker_id,
                "worker_name": worker_name,
                "gpu_indexes": list(indexes),
                "gpu_vendor": next((vendors.get(worker_id, {}).get(i) for i in indexes), None),
                "ram": claim["ram"],
                "vram": claim["vram"],
            }
        )
    return out
