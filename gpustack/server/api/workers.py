"""/v2/workers: list and manage workers; registration, heartbeat and status from workers."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import ModelInstance, ModelInstancePublic
from gpustack.schemas.workers import (
    WORKER_TOKEN_HEADER,
    Worker,
    WorkerPublic,
    WorkerRegistered,
    WorkerRegistration,
    WorkerState,
    WorkerUpdate,
)
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.context import ServerContext
from gpustack.server.dependencies import (
    AdminPrincipal,
    Ctx,
    Session,
    UserPrincipal,
    WorkerPrincipal,
)
from gpustack.server.errors import ApiError, not_found
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.security.authenticator import CREDENTIALS_CHANGED
from gpustack.server.security.key_material import digest, new_salt
from gpustack.server.security.worker_credentials import (
    format_worker_token,
    proven_secret,
    worker_api_token,
)
from gpustack.server.services.audit import record_write

router = APIRouter(prefix="/v2/workers", tags=["workers"], responses=AUTHENTICATED)
KIND = ResourceKind.WORKERS


def public(worker: Worker) -> WorkerPublic:
    return WorkerPublic.model_validate(worker.model_dump())


@router.get("", responses=listing(WorkerPublic))
async def list_workers(
    _: UserPrincipal, ctx: Ctx, session: Session, params: ListParams = Depends(list_params)
) -> Any:
    if params.watch:
        return watch_response(ctx.bus, KIND)
    return await paginate(session, Worker, params, public, ("name", "ip"))


@router.get("/registration")
async def registration_info(_: AdminPrincipal, ctx: Ctx, request: Request) -> dict[str, str]:
    """What the "Add worker" dialog shows: the exact command to run on a new machine."""
    server_url = str(request.base_url).rstrip("/")
    command = f"gpustack start --server-url {server_url} --token {ctx.cluster_token}"
    return {"server_url": server_url, "token": ctx.cluster_token, "command": command}


async def require_cluster_token(ctx: Ctx, authorization: Annotated[str, Header()] = "") -> None:
    """A dependency, so that a caller without the token learns nothing about the body."""
    token = authorization.removeprefix("Bearer ").strip()
    if not hmac.compare_digest(token.encode(), ctx.cluster_token.encode()):
        raise ApiError(401, "invalid cluster token: use the token the server printed at start")


@router.post(
    "/register",
    response_model=WorkerRegistered,
    responses=errors(413),
    dependencies=[Depends(require_cluster_token)],
)
async def register(
    body: WorkerRegistration,
    ctx: Ctx,
    session: Session,
    worker_token: Annotated[str, Header(alias=WORKER_TOKEN_HEADER)] = "",
) -> WorkerRegistered:
    """Join a new worker, or let a known one (proven by its own token) register again."""
    worker = (await session.exec(select(Worker).where(Worker.name == body.name))).first()
    created = worker is None
    if worker is None:
        worker = Worker(name=body.name)
        secret = new_salt()
        worker.token_salt = new_salt()
        worker.token_digest = digest(secret, worker.token_salt)
    else:
        # The cluster token alone must never take over a known worker's identity.
        proven = proven_secret(worker, worker_token.strip())
        if proven is None:
            raise ApiError(409, _name_taken(worker))
        # Same token as before: a worker killed before it saved a new one still knows it.
        secret = proven
    worker.ip, worker.port, worker.labels = body.ip, body.port, body.labels
    worker.status = body.status or worker.status
    worker.state = WorkerState.MAINTENANCE.value if worker.maintenance else WorkerState.READY.value
    worker.state_message = ""
    worker.heartbeat_time = worker.updated_at = utcnow()
    session.add(worker)
    try:
        await session.commit()
    except IntegrityError:
        # Another machine registered the same new name a moment ago.
        raise ApiError(409, f"worker name '{body.name}' was just taken: start again") from None
    assert worker.id is not None
    ctx.publish(
        KIND,
        EventType.CREATED if created else EventType.UPDATED,
        worker.id,
        public(worker),
        # Its address may have changed: routes to it are rebuilt.
        hint=CREDENTIALS_CHANGED,
    )
    return WorkerRegistered(
        id=worker.id,
        name=worker.name,
        token=format_worker_token(worker.id, secret),
        worker_api_token=worker_api_token(ctx.cluster_token, worker),
    )


def _name_taken(worker: Worker) -> str:
    return (
        f"worker name '{worker.name}' is already registered (worker {worker.id}) and this "
        "request did not prove to be that worker. If this machine is that worker, start it "
        "with the data dir that holds its worker_token file. If the machine was reinstalled "
        f"or replaced, remove worker {worker.id} first (Workers page, or DELETE "
        f"/v2/workers/{worker.id}), or start this one with another --worker-name."
    )


@router.post("/{worker_id}/heartbeat", status_code=204)
async def heartbeat(worker_id: PathId, principal: WorkerPrincipal, request: Request) -> None:
    if worker_id != principal.worker_id:
        raise ApiError(403, "a worker may only report for itself")
    ctx: ServerContext = request.app.state.ctx
    ctx.heartbeats.record(worker_id)


@router.put("/{worker_id}/status", status_code=204, responses=errors(404, 413))
async def report_status(
    worker_id: PathId, body: dict[str, Any], principal: WorkerPrincipal, ctx: Ctx
) -> None:
    if worker_id != principal.worker_id:
        raise ApiError(403, "a worker may only report for itself")
    # Group commit: the reports that arrive while one batch commits share the next one.
    worker = await ctx.worker_status.report(worker_id, body)
    if worker is None:
        raise not_found("worker", worker_id)
    ctx.publish(KIND, EventType.UPDATED, worker_id, public(worker))


@router.get("/{worker_id}", response_model=WorkerPublic, responses=errors(404))
async def get_worker(worker_id: PathId, _: UserPrincipal, session: Session) -> WorkerPublic:
    return public(await _get(session, worker_id))


@router.put("/{worker_id}", response_model=WorkerPublic, responses=errors(404, 413))
async def update_worker(
    worker_id: PathId,
    body: WorkerUpdate,
    principal: AdminPrincipal,
    ctx: Ctx,
    session: Session,
    request: Request,
) -> WorkerPublic:
    worker = await _get(session, worker_id)
    before = public(worker)
    if body.labels is not None:
        worker.labels = body.labels
    if body.maintenance is not None:
        worker.maintenance = body.maintenance
        if body.maintenance:
            worker.state, worker.state_message = WorkerState.MAINTENANCE.value, "in maintenance"
        elif worker.state == WorkerState.MAINTENANCE:
            worker.state, worker.state_message = WorkerState.READY.value, ""
    worker.updated_at = utcnow()
    session.add(worker)
    await session.commit()
    shown = public(worker)
    ctx.publish(KIND, EventType.UPDATED, worker_id, shown)
    await record_write(
        ctx,
        request,
        principal,
        action="update",
        kind=KIND,
        resource_id=worker_id,
        before=before,
        after=shown,
    )
    return shown


@router.delete("/{worker_id}", status_code=204, responses=errors(404))
async def delete_worker(
    worker_id: PathId, principal: AdminPrincipal, ctx: Ctx, session: Session, request: Request
) -> None:
    worker = await _get(session, worker_id)
    before = public(worker)
    query = select(ModelInstance).where(ModelInstance.worker_id == worker_id)
    released = list((await session.exec(query)).all())
    for instance in released:
        instance.release(f"rescheduling: worker {worker.name} was removed")
        session.add(instance)
    await session.flush()
    await session.delete(worker)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, worker_id, None)
    await record_write(
        ctx, request, principal, action="delete", kind=KIND, resource_id=worker_id, before=before
    )
    for instance in released:
        assert instance.id is not None
        shown = ModelInstancePublic.model_validate(instance.model_dump())
        ctx.publish(ResourceKind.MODEL_INSTANCES, EventType.UPDATED, instance.id, shown)


async def _get(session: AsyncSession, worker_id: int) -> Worker:
    worker = await session.get(Worker, worker_id)
    if worker is None:
        raise not_found("worker", worker_id)
    return worker


async def _own_worker(session: AsyncSession, worker_id: int, caller: int | None) -> Worker:
    if worker_id != caller:
        raise ApiError(403, "a worker may only report for itself")
    return await _get(session, worker_id)
