"""/v2/gpu-devices: every accelerator of every worker, with the VRAM claims placed on it."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import AsyncGenerator
from typing import Any

from fastapi import APIRouter, Depends
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sse_starlette.sse import EventSourceResponse

from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.worker_status import GPUDevice
from gpustack.schemas.workers import Worker
from gpustack.server.api.responses import AUTHENTICATED, listing
from gpustack.server.context import ServerContext
from gpustack.server.dependencies import Ctx, Session, UserPrincipal
from gpustack.server.errors import ApiError
from gpustack.server.listing import ListParams, list_params
from gpustack.server.scheduler.db_views import holds_resources, instance_claims, worker_status

router = APIRouter(prefix="/v2/gpu-devices", tags=["gpu-devices"], responses=AUTHENTICATED)
_SORTABLE = ("id", "name", "worker_name", "index", "vendor")


class GpuDevicePublic(GPUDevice):
    """One GPU; `id` is `<worker name>:<index>`, the form `gpu_selector.gpu_ids` takes."""

    id: str
    worker_id: int
    worker_name: str


@router.get("", responses=listing(GpuDevicePublic))
async def list_gpu_devices(
    _: UserPrincipal, ctx: Ctx, session: Session, params: ListParams = Depends(list_params)
) -> Any:
    if params.watch:
        return EventSourceResponse(watch_gpu_devices(ctx), ping=15)
    devices = await load_gpu_devices(session)
    if params.search:
        needle = params.search.lower()
        devices = [d for d in devices if needle in f"{d.name} {d.worker_name}".lower()]
    field = params.sort_by.lstrip("-")
    if field in _SORTABLE:
        devices.sort(key=lambda d: getattr(d, field), reverse=params.sort_by.startswith("-"))
    elif field != "created_at":
        raise ApiError(400, f"cannot sort by {field!r}: not a field of this resource")
    start = (params.page - 1) * params.per_page
    return {
        "items": [d.model_dump(mode="json") for d in devices[start : start + params.per_page]],
        "pagination": {
            "page": params.page,
            "perPage": params.per_page,
            "total": len(devices),
            "totalPage": max(1, math.ceil(len(devices) / params.per_page)),
        },
    }


async def load_gpu_devices(
    session: AsyncSession, worker_id: int | None = None
) -> list[GpuDevicePublic]:
    """GPUs in worker then index order; `memory.allocated` sums the claims of placed instances."""
    workers_query = select(Worker).order_by(Worker.name)
    if worker_id is not None:
        workers_query = workers_query.where(Worker.id == worker_id)
    workers = (await session.exec(workers_query)).all()
    allocated: dict[tuple[int, int], int] = defaultdict(int)
    for instance in (await session.exec(select(ModelInstance))).all():
        if not holds_resources(instance):
            continue
        for claim in instance_claims(instance):
            vram = claim.estimate.vram_bytes_per_gpu
            for index, size in zip(claim.gpu_indexes, vram, strict=False):
                allocated[(claim.worker_id, index)] += size
    devices = []
    for worker in workers:
        status = worker_status(worker)
        if status is None or worker.id is None:
            continue
        for gpu in sorted(status.gpu_devices, key=lambda g: g.index):
            shown = gpu.model_dump()
            shown["memory"]["allocated"] = allocated.get((worker.id, gpu.index), 0)
            ident = f"{worker.name}:{gpu.index}"
            devices.append(
                GpuDevicePublic(id=ident, worker_id=worker.id, worker_name=worker.name, **shown)
            )
    return devices


async def watch_gpu_devices(ctx: ServerContext) -> AsyncGenerator[dict[str, str], None]:
    """Re-emits a worker's GPUs whenever that worker changes (status reports included)."""
    seen: dict[int, set[str]] = {}
    async for event in ctx.bus.subscribe(ResourceKind.WORKERS):
        gone = seen.pop(event.id, set())
        current: list[GpuDevicePublic] = []
        if event.type != EventType.DELETED:
            async with ctx.sessions() as session:
                current = await load_gpu_devices(session, event.id)
        seen[event.id] = {d.id for d in current}
        for device in current:
            kind = EventType.UPDATED if device.id in gone else EventType.CREATED
            yield _wire(kind, device.model_dump(mode="json"))
        for ident in sorted(gone - seen[event.id]):
            yield _wire(EventType.DELETED, {"id": ident, "worker_id": event.id})


def _wire(kind: EventType, data: dict[str, Any]) -> dict[str, str]:
    return {"data": json.dumps({"type": kind.value, "data": data}, separators=(",", ":"))}
