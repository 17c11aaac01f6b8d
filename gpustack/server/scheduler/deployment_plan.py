"""One deployment's placement: pick its engine, translate it, and ask the placer."""

from __future__ import annotations

from dataclasses import replace

from gpustack.engines.base import Engine, ModelFormat
from gpustack.engines.registry import EngineRegistry, UnknownEngineError
from gpustack.schemas.models import ModelSpec
from gpustack.server.scheduler.analysis import ModelAnalysis
from gpustack.server.scheduler.db_views import scheduler_spec
from gpustack.server.scheduler.placer import place_replicas
from gpustack.server.scheduler.results import EngineDecision, ReplicaPlan
from gpustack.server.scheduler.snapshot import ClusterSnapshot


class EngineChoiceError(Exception):
    """No engine can serve the deployment; the message says why."""


def choose_engine(
    spec: ModelSpec, analysis: ModelAnalysis, registry: EngineRegistry, gpu_available: bool
) -> Engine:
    if spec.backend:
        try:
            return registry[spec.backend]
        except UnknownEngineError as exc:
            raise EngineChoiceError(str(exc.args[0])) from None
    if analysis.profile.format == ModelFormat.UNKNOWN and analysis.caveat:
        raise EngineChoiceError(
            f"cannot choose an engine ({analysis.caveat}): set backend on the deployment"
        )
    try:
        return registry.default_for(
            analysis.profile, tuple(spec.categories), gpu_available=gpu_available
        )
    except UnknownEngineError as exc:
        raise EngineChoiceError(f"cannot choose an engine: {exc.args[0]}") from None


def plan_deployment(
    spec: ModelSpec,
    analysis: ModelAnalysis,
    cluster: ClusterSnapshot,
    registry: EngineRegistry,
    count: int,
) -> ReplicaPlan:
    """Place `count` instances of `spec` on `cluster` (claiming them there)."""
    gpu_available = any(w.gpus for w in cluster.workers)
    try:
        engine = choose_engine(spec, analysis, registry, gpu_available)
    except EngineChoiceError as exc:
        return ReplicaPlan((), count, str(exc))
    model = scheduler_spec(spec, analysis.profile, engine.name)
    decision = EngineDecision(
        backend=engine.name,
        backend_version=spec.backend_version,
        categories=tuple(str(c) for c in model.categories),
    )
    return replace(place_replicas(model, cluster, engine, count=count), engine=decision)
