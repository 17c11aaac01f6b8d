"""Worker health: missing heartbeats make a worker not_ready, its instances unreachable, and
after a grace period those instances are freed for rescheduling elsewhere."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import InstanceState, ModelInstance, ModelInstancePublic
from gpustack.schemas.workers import Worker, WorkerPublic, WorkerState
from gpustack.server.context import ServerContext

_LIVE_STATES = (WorkerState.READY.value, WorkerState.MAINTENANCE.value)


async def check_worker_health(ctx: ServerContext, now: datetime | None = None) -> None:
    now = now or utcnow()
    not_ready_after = timedelta(seconds=ctx.config.worker_not_ready_after)
    reschedule_after = not_ready_after + timedelta(seconds=ctx.config.reschedule_unreachable_after)
    async with ctx.sessions() as session:
        # Runs every second: the cheap query first, whole rows (with status JSON) only for
        # the silent workers.
        beats = (await session.exec(select(Worker.id, Worker.heartbeat_time))).all()
        silent_ids = [i for i, beat in beats if beat is None or now - beat > not_ready_after]
        if not silent_ids:
            return
        rows = (await session.exec(select(Worker).where(col(Worker.id).in_(silent_ids)))).all()
        silent = {w.id: w for w in rows}
        changed_workers = []
        for worker in silent.values():
            if worker.state in _LIVE_STATES:
                seconds = int((now - (worker.heartbeat_time or worker.created_at)).total_seconds())
                worker.state = WorkerState.NOT_READY.value
                worker.state_message = f"no heartbeat for {seconds} s"
                worker.updated_at = now
                session.add(worker)
                changed_workers.append(worker)
        changed_instances = []
        if silent:
            query = select(ModelInstance).where(col(ModelInstance.worker_id).in_(list(silent)))
            for instance in (await session.exec(query)).all():
                worker = silent[instance.worker_id]
                gone_for = now - (worker.heartbeat_time or worker.created_at)
                if gone_for > reschedule_after:
                    seconds = int(gone_for.total_seconds())
                    instance.release(
                        f"rescheduling: worker {worker.name} unreachable for {seconds} s"
                    )
                elif instance.state != InstanceState.UNREACHABLE:
                    instance.state = InstanceState.UNREACHABLE.value
                    instance.state_message = (
                        f"worker {worker.name} is not ready: {worker.state_message}"
                    )
                else:
                    continue
                instance.updated_at = now
                session.add(instance)
                changed_instances.append(instance)
        if not changed_workers and not changed_instances:
            return
        await session.commit()
    for worker in changed_workers:
        assert worker.id is not None
        ctx.publish(
            ResourceKind.WORKERS,
            EventType.UPDATED,
            worker.id,
            WorkerPublic.model_validate(worker.model_dump()),
        )
    for instance in changed_instances:
        assert instance.id is not None
        public = ModelInstancePublic.model_validate(instance.model_dump())
        ctx.publish(ResourceKind.MODEL_INSTANCES, EventType.UPDATED, instance.id, public)
