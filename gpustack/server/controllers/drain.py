"""Drain controller (leader): a draining instance is deleted once its requests are done.

The replica controller marks an instance draining; the route table drops it at once, so
the gateway sends it nothing new. Its requests in flight finish: the gateway's count per
instance says when none is left. With several servers (PostgreSQL) the others' counts are
not known here, so the instance stays for its deployment's whole `drain_timeout`. Either
way it goes after `drain_timeout` (default 30 s); deleting it makes its worker stop the
engine and frees its claim.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import col, select

from gpustack.schemas.common import utcnow
from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.schemas.models import DEFAULT_DRAIN_TIMEOUT_S, Model
from gpustack.server.context import ServerContext
from gpustack.server.services.instances import delete_instances

# Long enough for every route table to have dropped the instance before it counts as idle.
ROUTE_GRACE_S = 1.0


async def finish_drains(ctx: ServerContext, in_flight: Callable[[int], int] | None) -> list[int]:
    """Delete the draining instances that are done; their ids. `in_flight` None: unknown."""
    now = utcnow()
    async with ctx.sessions() as session:
        rows = (
            await session.exec(
                select(ModelInstance, Model)
                .join(Model, col(Model.id) == col(ModelInstance.model_id))
                .where(col(ModelInstance.draining_since).is_not(None))
            )
        ).all()
        done: list[int] = []
        for instance, model in rows:
            assert instance.id is not None and instance.draining_since is not None
            waited = (now - instance.draining_since).total_seconds()
            timeout = (
                DEFAULT_DRAIN_TIMEOUT_S if model.drain_timeout is None else model.drain_timeout
            )
            idle = (
                in_flight is not None
                and waited >= min(ROUTE_GRACE_S, timeout)
                and in_flight(instance.id) == 0
            )
            if waited >= timeout or idle or instance.state != InstanceState.RUNNING:
                done.append(instance.id)
        if not done:
            return []
        deleted = await delete_instances(ctx, session, col(ModelInstance.id).in_(done))
        await session.commit()
    return deleted
