"""Replica controller: each deployment has as many instances as `target_replicas` says.

That is `replicas` for a fixed deployment; the autoscaler's count within min/max and the
scaling windows for an autoscaled one; zero while it sleeps. Surplus instances that serve
are not deleted but marked draining: the gateway stops sending them requests and
`controllers/drain.py` deletes them once their requests have finished.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.schemas.models import Model
from gpustack.server.context import ServerContext
from gpustack.server.controllers.autoscaler import window_floor
from gpustack.server.controllers.instance_ordering import removal_order
from gpustack.server.services.instances import delete_instances, instance_public


def target_replicas(model: Model, now: datetime) -> int:
    """How many instances the deployment should have right now."""
    if model.asleep or model.deleting:
        return 0
    autoscaled = model.max_replicas is not None and model.target_outstanding_per_replica
    count = model.replicas
    if autoscaled and model.autoscaled_replicas is not None:
        count = model.autoscaled_replicas
    floor = max(model.min_replicas or 0, window_floor(model.scaling_windows, now))
    if model.min_replicas == 0 and model.idle_timeout is not None:
        floor = max(floor, 1)  # awake: serving, until the idle sleeper says otherwise
    count = max(count, floor)
    if model.max_replicas is not None:
        count = min(count, model.max_replicas)
    return count


async def reconcile_replicas(ctx: ServerContext, model_id: int) -> None:
    async with ctx.sessions() as session:
        model = await session.get(Model, model_id)
        if model is None:
            return
        query = select(ModelInstance).where(ModelInstance.model_id == model_id)
        instances = list((await session.exec(query)).all())
        serving = [i for i in instances if i.draining_since is None]
        draining = [i for i in instances if i.draining_since is not None]
        missing = target_replicas(model, utcnow()) - len(serving)
        if missing > 0:
            # Instances still draining are the quickest replicas: they take requests again.
            revived = sorted(draining, key=lambda i: -(i.id or 0))[:missing]
            for instance in revived:
                instance.draining_since = None
                session.add(instance)
            await session.commit()
            _publish_updates(ctx, revived)
            if missing > len(revived):
                await _create(ctx, session, model, missing - len(revived))
        elif missing < 0:
            await _retire(ctx, session, removal_order(serving)[:-missing])


async def _retire(ctx: ServerContext, session: AsyncSession, surplus: list[ModelInstance]) -> None:
    """Running instances drain first; the others serve nothing and go at once."""
    running = [i for i in surplus if i.state == InstanceState.RUNNING]
    idle_ids = [i.id for i in surplus if i.state != InstanceState.RUNNING]
    now = utcnow()
    for instance in running:
        instance.draining_since = now
        instance.updated_at = now
        session.add(instance)
    if idle_ids:
        await delete_instances(ctx, session, col(ModelInstance.id).in_(idle_ids))
    await session.commit()
    _publish_updates(ctx, running)


def _publish_updates(ctx: ServerContext, instances: list[ModelInstance]) -> None:
    for instance in instances:
        assert instance.id is not None
        ctx.publish(
            ResourceKind.MODEL_INSTANCES, EventType.UPDATED, instance.id, instance_public(instance)
        )


async def _create(ctx: ServerContext, session: AsyncSession, model: Model, count: int) -> None:
    assert model.id is not None
    created = [
        ModelInstance(
            name=f"{model.name}-{secrets.token_hex(3)}",
            model_id=model.id,
            model_name=model.name,
        )
        for _ in range(count)
    ]
    session.add_all(created)
    await session.commit()
    for instance in created:
        assert instance.id is not None
        ctx.publish(
            ResourceKind.MODEL_INSTANCES, EventType.CREATED, instance.id, instance_public(instance)
        )
