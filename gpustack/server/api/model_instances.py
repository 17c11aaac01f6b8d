"""/v2/model-instances: read and delete instances; workers report their state; logs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.model_instances import (
    InstanceStatusUpdate,
    ModelInstance,
    ModelInstancePublic,
)
from gpustack.schemas.workers import Worker
from gpustack.server.context import ServerContext
from gpustack.server.dependencies import (
    AdminPrincipal,
    Ctx,
    Session,
    WorkerOrAdmin,
    WorkerPrincipal,
)
from gpustack.server.errors import ApiError, not_found
from gpustack.server.events import Event, EventType
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.security.worker_credentials import worker_api_token

router = APIRouter(prefix="/v2/model-instances", tags=["model-instances"])
KIND = "model-instances"


def public(instance: ModelInstance) -> ModelInstancePublic:
    return ModelInstancePublic.model_validate(instance.model_dump())


@router.get("")
async def list_instances(
    principal: WorkerOrAdmin,
    ctx: Ctx,
    session: Session,
    params: ListParams = Depends(list_params),
    model_id: int | None = Query(None),
    worker_id: int | None = Query(None),
) -> Any:
    if principal.worker_id is not None:
        # A worker lists what is assigned to it, but watches every change: an instance moved
        # away from it arrives as an UPDATE naming another worker, and it must stop that engine.
        if params.watch:
            return watch_response(ctx.bus, KIND)
        worker_id = principal.worker_id
    if params.watch:
        return watch_response(ctx.bus, KIND, _event_filter(model_id, worker_id))
    where: list[ColumnElement[bool]] = []
    if model_id is not None:
        where.append(col(ModelInstance.model_id) == model_id)
    if worker_id is not None:
        where.append(col(ModelInstance.worker_id) == worker_id)
    return await paginate(session, ModelInstance, params, public, ("name", "model_name"), where)


@router.get("/{instance_id}", response_model=ModelInstancePublic)
async def get_instance(
    instance_id: int, _: AdminPrincipal, session: Session
) -> ModelInstancePublic:
    return public(await _get(session, instance_id))


@router.delete("/{instance_id}", status_code=204)
async def delete_instance(instance_id: int, _: AdminPrincipal, ctx: Ctx, session: Session) -> None:
    await _get(session, instance_id)
    await delete_instances(ctx, session, col(ModelInstance.id) == instance_id)
    await session.commit()


@router.put("/{instance_id}/status", response_model=ModelInstancePublic)
async def report_status(
    instance_id: int,
    body: InstanceStatusUpdate,
    principal: WorkerPrincipal,
    ctx: Ctx,
    session: Session,
) -> ModelInstancePublic:
    instance = await _get(session, instance_id)
    if instance.worker_id != principal.worker_id:
        raise ApiError(409, f"instance {instance_id} is not assigned to this worker")
    instance.state = body.state.value
    instance.state_message = body.state_message
    for field in ("download_progress", "restart_count", "port", "resolved_path"):
        value = getattr(body, field)
        if value is not None:
            setattr(instance, field, value)
    instance.updated_at = utcnow()
    session.add(instance)
    await session.commit()
    shown = public(instance)
    ctx.publish(KIND, EventType.UPDATED, instance_id, shown)
    return shown


@router.get("/{instance_id}/logs")
async def instance_logs(
    instance_id: int,
    _: AdminPrincipal,
    ctx: Ctx,
    session: Session,
    tail: int = Query(200, ge=0, le=100_000),
    follow: bool = Query(False),
) -> StreamingResponse:
    """Relays the log of the instance from the worker that runs it, optionally following it."""
    instance = await _get(session, instance_id)
    worker = await session.get(Worker, instance.worker_id) if instance.worker_id else None
    if worker is None:
        raise ApiError(409, f"instance {instance_id} is not placed on a worker yet: no logs")
    url = f"http://{worker.ip}:{worker.port}/instances/{instance_id}/logs"
    params = {"tail": str(tail), "follow": "true" if follow else "false"}
    # That worker's own credential: the caller's cookie or key never leaves the server.
    token = worker_api_token(ctx.cluster_token, worker)
    return StreamingResponse(_relay(url, params, token), media_type="text/plain")


async def _relay(url: str, params: dict[str, str], token: str) -> AsyncIterator[bytes]:
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as client,
            client.get(url, params=params, headers=headers) as resp,
        ):
            if resp.status != 200:
                yield f"worker answered {resp.status}: {await resp.text()}\n".encode()
                return
            async for chunk in resp.content.iter_any():
                yield chunk
    except aiohttp.ClientError as exc:
        yield f"cannot reach the worker for logs: {exc}\n".encode()


async def _get(session: AsyncSession, instance_id: int) -> ModelInstance:
    instance = await session.get(ModelInstance, instance_id)
    if instance is None:
        raise not_found("model instance", instance_id)
    return instance


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
        ctx.publish(KIND, EventType.DELETED, row.id, public(row))
    return [row.id for row in rows if row.id is not None]


def _event_filter(model_id: int | None, worker_id: int | None) -> Any:
    def keep(event: Event) -> bool:
        if model_id is not None and event.data.get("model_id") != model_id:
            return False
        return worker_id is None or event.data.get("worker_id") == worker_id

    return keep
