"""Replica controller: each deployment has exactly `replicas` instances."""

from __future__ import annotations

import secrets

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.models import Model
from gpustack.server.context import ServerContext
from gpustack.server.controllers.instance_ordering import removal_order
from gpustack.server.services.instances import delete_instances, instance_public


async def reconcile_replicas(ctx: ServerContext, model_id: int) -> None:
    async with ctx.sessions() as session:
        model = await session.get(Model, model_id)
        if model is None:
            return
        query = select(ModelInstance).where(ModelInstance.model_id == model_id)
        instances = list((await session.exec(query)).all())
        missing = model.replicas - len(instances)
        if missing > 0:
            await _create(ctx, session, model, missing)
        elif missing < 0:
            surplus = removal_order(instances)[:-missing]
            ids = [i.id for i in surplus]
            await delete_instances(ctx, session, col(ModelInstance.id).in_(ids))
            await session.commit()


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
