"""Model instances as the server shows and removes them: public form, draining, deletion."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import InstanceState, ModelInstance, ModelInstancePublic
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


async def drain(
    ctx: ServerContext, session: AsyncSession, where: ColumnElement[bool], timeout_s: float
) -> None:
    """Stop routing to the matching running instances and wait (at most `timeout_s`) until
    this server's gateway has no request left on them; the caller then deletes them.

    Requests that other servers' gateways run are not seen here.
    """
    rows = list(
        (
            await session.exec(
                select(ModelInstance).where(
                    where, ModelInstance.state == InstanceState.RUNNING.value
                )
            )
        ).all()
    )
    gateway = getattr(ctx, "gateway", None)
    if not rows or gateway is None or timeout_s <= 0:
        return
    now = utcnow()
    for row in rows:
        row.draining_since = now
        session.add(row)
    await session.commit()
    for row in rows:
        assert row.id is not None
        ctx.publish(ResourceKind.MODEL_INSTANCES, EventType.UPDATED, row.id, instance_public(row))
    ids = {row.id for row in rows}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        routed = {e.instance_id for r in ctx.routes.all() for e in r.endpoints}
        if not ids & routed and all(gateway.balancer.outstanding(i) == 0 for i in ids):
            return
        await asyncio.sleep(0.05)
