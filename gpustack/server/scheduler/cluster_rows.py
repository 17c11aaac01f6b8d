"""The rows one scheduling pass or dry run reads, loaded in a handful of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.model_files import ModelFile, ModelFileState
from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.schemas.models import Model
from gpustack.schemas.workers import Worker
from gpustack.server.scheduler.db_views import holds_resources, instance_claims, worker_view
from gpustack.server.scheduler.snapshot import ClusterSnapshot

# Instances the scheduler still has to place; `analyzing` ones were left mid-pass.
WAITING_STATES = (InstanceState.PENDING.value, InstanceState.ANALYZING.value)


@dataclass(frozen=True, slots=True)
class ClusterRows:
    """Workers, deployments and instances as stored at one moment."""

    workers: list[Worker]
    models: dict[int, Model]
    instances: list[ModelInstance]
    # Worker id → source keys of model files ready on its disk.
    downloaded: dict[int, set[str]]

    def snapshot(self) -> ClusterSnapshot:
        """Fresh capacity: every worker, less what placed instances already claim."""
        views = [worker_view(w, self.downloaded.get(w.id or 0, ())) for w in self.workers]
        claims = [c for i in self.instances if holds_resources(i) for c in instance_claims(i)]
        return ClusterSnapshot(views, claims)

    def waiting_by_model(self) -> dict[int, list[ModelInstance]]:
        """Unplaced instances grouped per deployment, oldest first (and models in that order)."""
        waiting = sorted(
            (i for i in self.instances if i.state in WAITING_STATES and i.model_id in self.models),
            key=lambda i: (i.created_at, i.id or 0),
        )
        grouped: dict[int, list[ModelInstance]] = {}
        for instance in waiting:
            grouped.setdefault(instance.model_id, []).append(instance)
        return grouped

    def worker_ips(self) -> dict[int, str]:
        return {w.id: w.ip for w in self.workers if w.id is not None}


async def load_cluster(session: AsyncSession, *, with_instances: bool = True) -> ClusterRows:
    workers = list((await session.exec(select(Worker).order_by(col(Worker.id)))).all())
    models = {m.id: m for m in (await session.exec(select(Model))).all() if m.id is not None}
    instances = list((await session.exec(select(ModelInstance))).all()) if with_instances else []
    ready_files = select(ModelFile.worker_id, ModelFile.source_key).where(
        col(ModelFile.state) == ModelFileState.READY.value
    )
    downloaded: dict[int, set[str]] = defaultdict(set)
    for worker_id, source_key in (await session.exec(ready_files)).all():
        downloaded[worker_id].add(source_key)
    return ClusterRows(workers, models, instances, dict(downloaded))
