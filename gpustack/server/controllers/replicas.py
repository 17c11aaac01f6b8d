"""Replica controller: each deployment has as many instances as `target_replicas` says.

That is `replicas` for a fixed deployment; the autoscaler's count within min/max and the
scaling windows for an autoscaled one; zero while it sleeps. Surplus instances that serve
are not deleted but marked draining: the gateway stops sending them requests and
`controllers/drain.py` deletes them once their requests have finished.

Instances on a worker put in maintenance move off it: replacements are created at once
(the scheduler places no new instance there), and the old ones keep serving until enough
replacements run, then drain. Where no replacement can come (nowhere else to place it),
they drain straight away: maintenance means the worker is being taken down.
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
from gpustack.schemas.workers import Worker, WorkerState
from gpustack.server.context import ServerContext
from gpustack.server.controllers.autoscaler import window_floor
from gpustack.server.controllers.instance_ordering import removal_order
from gpustack.server.scheduler.pass_runner import ANALYZING_MESSAGE
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
        away = await _workers_in_maintenance(session, instances)
        serving = [i for i in instances if i.draining_since is None and i.worker_id not in away]
        leaving = [i for i in instances if i.draining_since is None and i.worker_id in away]
        draining = [
            i for i in instances if i.draining_since is not None and i.worker_id not in away
        ]
        target = target_replicas(model, utcnow())
        missing = target - len(serving)
        if missing > 0:
            # Instances still draining are the quickest replicas: they take requests again.
            revived = sorted(draining, key=lambda i: -(i.id or 0))[:missing]
            for instance in revived:
                instance.draining_since = None
                session.add(instance)
            await session.commit()
            _publish_updates(ctx, revived)
            serving += revived
            if missing > len(revived):
                serving += await _create(ctx, session, model, missing - len(revived))
        elif missing < 0:
            surplus = removal_order(serving)[:-missing]
            await _retire(ctx, session, surplus)
            serving = [i for i in serving if i not in surplus]
        if leaving:
            # After the replacements exist, so that they count as under way.
            await _retire(ctx, session, leaving_to_retire(leaving, serving, target))


# A replacement in one of these states is on its way to serving.
_UNDER_WAY = frozenset(
    {
        InstanceState.ANALYZING,
        InstanceState.SCHEDULED,
        InstanceState.INITIALIZING,
        InstanceState.DOWNLOADING,
        InstanceState.INSTALLING,
        InstanceState.STARTING,
    }
)


def leaving_to_retire(
    leaving: list[ModelInstance], serving: list[ModelInstance], target: int
) -> list[ModelInstance]:
    """The instances on maintenance workers that may go now.

    They are kept, healthiest first, for as many replicas as the deployment lacks running
    elsewhere, while a replacement is under way (a pending one the scheduler has not yet
    answered or is still reading counts; one it said has no place does not).
    """
    running = sum(1 for i in serving if i.state == InstanceState.RUNNING)
    under_way = any(
        i.state in _UNDER_WAY
        or (i.state == InstanceState.PENDING and i.state_message in ("", ANALYZING_MESSAGE))
        for i in serving
    )
    keep = max(0, target - running) if under_way else 0
    ordered = removal_order(leaving)  # least healthy first
    return ordered[: max(0, len(ordered) - keep)]


async def _workers_in_maintenance(
    session: AsyncSession, instances: list[ModelInstance]
) -> set[int]:
    ids = {i.worker_id for i in instances if i.worker_id is not None}
    if not ids:
        return set()
    query = select(Worker.id).where(
        col(Worker.id).in_(ids),
        col(Worker.maintenance).is_(True) | (Worker.state == WorkerState.MAINTENANCE.value),
    )
    return {worker_id for worker_id in (await session.exec(query)).all() if worker_id is not None}


async def _retire(ctx: ServerContext, session: AsyncSession, surplus: list[ModelInstance]) -> None:
    """Running instances drain first; the others serve nothing and go at once."""
    if not surplus:
        return
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


async def _create(
    ctx: ServerContext, session: AsyncSession, model: Model, count: int
) -> list[ModelInstance]:
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
    return created
