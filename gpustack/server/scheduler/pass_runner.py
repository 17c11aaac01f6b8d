"""The scheduling pass: analyse waiting deployments, then place their instances in one go."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from gpustack.engines.registry import EngineRegistry, default_registry
from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import InstanceState, ModelInstance, ModelInstancePublic
from gpustack.schemas.models import Model, ModelPublic, ModelSpec
from gpustack.server.context import ServerContext
from gpustack.server.scheduler.analysis import ModelAnalysis, ModelAnalysisError, ModelAnalyzer
from gpustack.server.scheduler.cluster_rows import ClusterRows, load_cluster
from gpustack.server.scheduler.db_views import assign
from gpustack.server.scheduler.deployment_plan import plan_deployment

logger = logging.getLogger(__name__)

ANALYZING_MESSAGE = "reading model metadata"
KIND = ResourceKind.MODEL_INSTANCES

# What analysis gave for one source key in this pass: a profile or why there is none.
_Outcome = ModelAnalysis | str


def model_meta(analysis: ModelAnalysis) -> dict[str, Any]:
    profile = analysis.profile
    return {
        "format": str(profile.format),
        "architecture": profile.architecture,
        "weights_bytes": profile.weights_bytes,
        "context_length": profile.context_length or None,
        "capabilities": list(profile.capabilities),
    }


class SchedulingPass:
    """Places every waiting instance; `run` is what `ControllerManager` calls on changes.

    A pass first profiles the deployments it has not seen (instances show `analyzing`
    meanwhile), then reloads the cluster and places all waiting instances against one
    `ClusterSnapshot`, committing once. Instances that cannot be placed stay `pending` with
    the scheduler's reason, and are retried on the next pass.
    """

    def __init__(
        self,
        ctx: ServerContext,
        registry: EngineRegistry | None = None,
        analyzer: ModelAnalyzer | None = None,
    ) -> None:
        self._ctx = ctx
        self._registry = registry or default_registry()
        self.analyzer = analyzer or ctx.analyzer
        # Passes may be started from more than one place; they must not interleave.
        self._lock = asyncio.Lock()

    async def run(self) -> None:
        async with self._lock:
            outcomes = await self._analyze_waiting()
            if outcomes is not None:
                await self._place_waiting(outcomes)

    async def _analyze_waiting(self) -> dict[str, _Outcome] | None:
        """Profiles of the deployments with waiting instances; None when nothing waits."""
        async with self._ctx.sessions() as session:
            rows = await load_cluster(session)
            self.analyzer.retain(_source_keys(rows.models.values()))
            waiting = rows.waiting_by_model()
            if not waiting:
                return None
            unknown: dict[str, ModelSpec] = {}
            marked: list[ModelInstance] = []
            for model_id, instances in waiting.items():
                spec = _spec(rows.models[model_id])
                if spec is None or self.analyzer.cached(spec) is not None:
                    continue
                unknown[spec.source_key()] = spec
                marked += [i for i in instances if _mark(i, InstanceState.ANALYZING, None)]
            if marked:
                session.add_all(marked)
                await session.commit()
        self._publish(marked)
        results = await asyncio.gather(*(self._analyze(s) for s in unknown.values()))
        return dict(zip(unknown, results, strict=True))

    async def _analyze(self, spec: ModelSpec) -> _Outcome:
        try:
            return await self.analyzer.analyze(spec)
        except ModelAnalysisError as exc:
            return str(exc)

    async def _place_waiting(self, outcomes: dict[str, _Outcome]) -> None:
        async with self._ctx.sessions() as session:
            rows = await load_cluster(session)
            changed = self._place(rows, outcomes)
            described = self._describe_models(rows, outcomes)
            if changed or described:
                session.add_all([*changed, *described])
                await session.commit()
        self._publish(changed)
        for model in described:
            assert model.id is not None
            public = ModelPublic.model_validate(model.model_dump())
            self._ctx.publish(ResourceKind.MODELS, EventType.UPDATED, model.id, public)

    def _describe_models(self, rows: ClusterRows, outcomes: dict[str, _Outcome]) -> list[Model]:
        """Store what analysis found (the gateway reads capabilities and context length)."""
        described = []
        for model in rows.models.values():
            spec = _spec(model)
            outcome = spec and (self.analyzer.cached(spec) or outcomes.get(spec.source_key()))
            if not isinstance(outcome, ModelAnalysis):
                continue
            meta = model_meta(outcome)
            categories = model.categories or [str(c) for c in outcome.profile.categories]
            if meta != model.meta or categories != model.categories:
                model.meta, model.categories = meta, categories
                model.updated_at = utcnow()
                described.append(model)
        return described

    def _place(self, rows: ClusterRows, outcomes: dict[str, _Outcome]) -> list[ModelInstance]:
        cluster = rows.snapshot()
        ips = rows.worker_ips()
        changed: list[ModelInstance] = []
        for model_id, instances in rows.waiting_by_model().items():
            spec = _spec(rows.models[model_id])
            if spec is None:
                reason = "the deployment's stored spec is invalid: edit the model to fix it"
                changed += [i for i in instances if _mark(i, InstanceState.PENDING, reason)]
                continue
            outcome = self.analyzer.cached(spec) or outcomes.get(spec.source_key())
            if outcome is None:
                continue  # the spec changed during analysis; the next pass reads it
            if isinstance(outcome, str):
                changed += [i for i in instances if _mark(i, InstanceState.PENDING, outcome)]
                continue
            plan = plan_deployment(spec, outcome, cluster, self._registry, len(instances))
            placed = zip(instances, plan.placements, strict=False) if plan.engine else ()
            for instance, placement in placed:
                assert plan.engine is not None
                assign(instance, placement, ips.get(placement.worker_id), plan.engine, ips)
                if outcome.caveat:
                    instance.state_message += f" ({outcome.caveat})"
                instance.updated_at = utcnow()
                changed.append(instance)
            for instance in instances[len(plan.placements) :]:
                if _mark(instance, InstanceState.PENDING, plan.message):
                    changed.append(instance)
        return changed

    def _publish(self, instances: list[ModelInstance]) -> None:
        for instance in instances:
            assert instance.id is not None
            shown = ModelInstancePublic.model_validate(instance.model_dump())
            self._ctx.publish(KIND, EventType.UPDATED, instance.id, shown)


def _mark(instance: ModelInstance, state: InstanceState, message: str | None) -> bool:
    """Set state (and message, unless None); True when that changed the row."""
    message = ANALYZING_MESSAGE if message is None else message
    if instance.state == state.value and instance.state_message == message:
        return False
    instance.state, instance.state_message = state.value, message
    instance.updated_at = utcnow()
    return True


def _spec(model: Model) -> ModelSpec | None:
    try:
        return model.spec()
    except ValidationError:
        logger.warning("model %s has an invalid stored spec", model.name)
        return None


def _source_keys(models: Iterable[Model]) -> list[str]:
    specs = (_spec(m) for m in models)
    return [s.source_key() for s in specs if s is not None]
