"""Model instances as the server shows and removes them: public form, deletion with events."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import ModelInstance, ModelInstancePublic
from gpustack.server.context import ServerContext


def instance_public(instance: ModelInstance) -> ModelInstancePublic:
    return ModelInstancePublic.model_validate(instance.model_dump())


async def delete_instances(
    ctx: ServerContext, session: AsyncSession, where: ColumnElement[bool]
) -> list[int]:
    """Delete matching instances, publishing one DELETED event each (caller commits)."""
    rows = (await session.exec(select(ModelInstance).where(where))).all()
    for row in rows:
        await session.delete(row)
    await session.flush()
    for row in rows:
        assert row.id is not None
        ctx.publish(ResourceKind.MODEL_INSTANCES, EventType.DELETED, row.id, instance_public(row))
    return [row.id for row in rows if row.id is not None]
