"""/v2/model-instances: read and delete instances; workers report their state; logs."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import (
    InstanceStatusUpdate,
    ModelInstance,
    ModelInstancePublic,
    SubordinateStatusUpdate,
)
from gpustack.schemas.workers import Worker
from gpustack.server.api.params import PathId, QueryId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.dependencies import (
    AdminPrincipal,
    Ctx,
    Session,
    WorkerOrAdmin,
    WorkerPrincipal,
)
from gpustack.server.errors import ApiError, not_found
from gpustack.server.events import Event
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.services.audit import record_write
from gpustack.server.services.instances import delete_instances, instance_public
from gpustack.server.worker_client import WorkerApiDep, WorkerCallError

router = APIRouter(prefix="/v2/model-instances", tags=["model-instances"], responses=AUTHENTICATED)
KIND = ResourceKind.MODEL_INSTANCES


@router.get("", responses=listing(ModelInstancePublic))
async def list_instances(
    principal: WorkerOrAdmin,
    ctx: Ctx,
    session: Session,
    params: ListParams = Depends(list_params),
    model_id: QueryId = None,
    worker_id: QueryId = None,
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
    return await paginate(
        session, ModelInstance, params, instance_public, ("name", "model_name"), where
    )


@router.get("/{instance_id}", response_model=ModelInstancePublic, responses=errors(404))
async def get_instance(
    instance_id: PathId, _: AdminPrincipal, session: Session
) -> ModelInstancePublic:
    return instance_public(await _get(session, instance_id))


@router.delete("/{instance_id}", status_code=204, responses=errors(404))
async def delete_instance(
    instance_id: PathId, principal: AdminPrincipal, ctx: Ctx, session: Session, request: Request
) -> None:
    before = instance_public(await _get(session, instance_id))
    await delete_instances(ctx, session, col(ModelInstance.id) == instance_id)
    await session.commit()
    await record_write(
        ctx,
        request,
        principal,
        action="delete",
        kind=KIND,
        resource_id=instance_id,
        before=before,
    )


@router.put(
    "/{instance_id}/status", response_model=ModelInstancePublic, responses=errors(404, 409, 413)
)
async def report_status(
    instance_id: PathId,
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
    shown = instance_public(instance)
    ctx.publish(KIND, EventType.UPDATED, instance_id, shown)
    return shown


@router.put(
    "/{instance_id}/subordinates/status",
    response_model=ModelInstancePublic,
    responses=errors(404, 409, 413),
)
async def report_subordinate_status(
    instance_id: PathId,
    body: SubordinateStatusUpdate,
    principal: WorkerPrincipal,
    ctx: Ctx,
    session: Session,
) -> ModelInstancePublic:
    """A subordinate worker reports its own part: state, message and its rpc-server's port."""
    instance = await _get(session, instance_id)
    parts = [dict(p) for p in instance.subordinate_workers or []]
    mine = next((p for p in parts if p.get("worker_id") == principal.worker_id), None)
    if mine is None:
        raise ApiError(409, f"instance {instance_id} has no part on this worker")
    mine["state"], mine["state_message"] = body.state.value, body.state_message
    if body.port is not None:
        mine["port"] = body.port
    if body.restart_count is not None:
        mine["restart_count"] = body.restart_count
    # A new list, so the JSON column is seen as changed.
    instance.subordinate_workers = parts
    instance.updated_at = utcnow()
    session.add(instance)
    await session.commit()
    shown = instance_public(instance)
    ctx.publish(KIND, EventType.UPDATED, instance_id, shown)
    return shown


# `response_class=Response` documents no JSON body for the 200: the log is streamed plain text.
@router.get(
    "/{instance_id}/logs",
    response_class=Response,
    responses=errors(404, 409) | {200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def instance_logs(
    instance_id: PathId,
    _: AdminPrincipal,
    session: Session,
    workers: WorkerApiDep,
    tail: int = Query(200, ge=0, le=100_000),
    follow: bool = Query(False),
) -> StreamingResponse:
    """Relays the log of the instance from the worker that runs it, optionally following it."""
    instance = await _get(session, instance_id)
    worker = await session.get(Worker, instance.worker_id) if instance.worker_id else None
    if worker is None:
        raise ApiError(409, f"instance {instance_id} is not placed on a worker yet: no logs")
    chunks = workers.instance_logs(worker, instance_id, tail=tail, follow=follow)
    return StreamingResponse(_relay(chunks), media_type="text/plain")


async def _relay(chunks: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    # The answer has started (200) before the worker is asked: a failure becomes its last line.
    try:
        async with aclosing(chunks):
            async for chunk in chunks:
                yield chunk
    except WorkerCallError as exc:
        if exc.status is None:
            yield f"cannot reach the worker for logs: {exc.detail}\n".encode()
        else:
            yield f"worker answered {exc.status}: {exc.detail}\n".encode()


async def _get(session: AsyncSession, instance_id: int) -> ModelInstance:
    instance = await session.get(ModelInstance, instance_id)
    if instance is None:
        raise not_found("model instance", instance_id)
    return instance


def _event_filter(model_id: int | None, worker_id: int | None) -> Any:
    def keep(event: Event) -> bool:
        if model_id is not None and event.data.get("model_id") != model_id:
            return False
        return worker_id is None or event.data.get("worker_id") == worker_id

    return keep
