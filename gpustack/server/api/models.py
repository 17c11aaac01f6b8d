"""/v2/models: deployments — create, read, update, delete, restart, list their instances."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import ModelInstance, ModelInstancePublic
from gpustack.schemas.model_routes import ModelRouteRow
from gpustack.schemas.models import (
    DEFAULT_DRAIN_TIMEOUT_S,
    Model,
    ModelPublic,
    ModelSpec,
    ModelUpdate,
    example_spec,
)
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.dependencies import (
    AdminPrincipal,
    Ctx,
    ReaderPrincipal,
    Session,
    UserPrincipal,
)
from gpustack.server.errors import ApiError, not_found
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.services.audit import record_write
from gpustack.server.services.instances import delete_instances, drain, instance_public

router = APIRouter(prefix="/v2/models", tags=["models"], responses=AUTHENTICATED)
KIND = ResourceKind.MODELS


def public(model: Model) -> ModelPublic:
    return ModelPublic.model_validate(model.model_dump())


@router.get("", responses=listing(ModelPublic))
async def list_models(
    _: UserPrincipal, ctx: Ctx, session: Session, params: ListParams = Depends(list_params)
) -> Any:
    if params.watch:
        return watch_response(ctx.bus, KIND)
    return await paginate(session, Model, params, public, ("name", "description"))


@router.post("", response_model=ModelPublic, status_code=201, responses=errors(409, 413))
async def create_model(
    body: Annotated[ModelSpec, Body(examples=[example_spec()])],
    principal: AdminPrincipal,
    ctx: Ctx,
    session: Session,
    request: Request,
) -> ModelPublic:
    route = select(ModelRouteRow.id).where(col(ModelRouteRow.name) == body.name)
    if (await session.exec(route)).first() is not None:
        raise ApiError(409, f"{body.name!r} is the name of a model route")
    model = Model(name=body.name, source=body.source.value)
    model.apply_spec(body)
    session.add(model)
    await _commit_unique(session, body.name)
    assert model.id is not None
    shown = public(model)
    ctx.publish(KIND, EventType.CREATED, model.id, shown)
    await record_write(
        ctx, request, principal, action="create", kind=KIND, resource_id=model.id, after=shown
    )
    return shown


@router.get("/{model_id}", response_model=ModelPublic, responses=errors(404))
async def get_model(model_id: PathId, _: ReaderPrincipal, session: Session) -> ModelPublic:
    return public(await _get(session, model_id))


@router.put("/{model_id}", response_model=ModelPublic, responses=errors(404, 409, 413))
async def update_model(
    model_id: PathId,
    body: ModelUpdate,
    principal: AdminPrincipal,
    ctx: Ctx,
    session: Session,
    request: Request,
) -> ModelPublic:
    model = await _get(session, model_id)
    before = public(model)
    merged = model.spec().model_dump() | body.model_dump(exclude_unset=True)
    try:
        spec = ModelSpec.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ApiError(400, f"invalid model: {where + ': ' if where else ''}{message}") from exc
    model.apply_spec(spec)
    model.updated_at = utcnow()
    session.add(model)
    await _commit_unique(session, spec.name)
    shown = public(model)
    ctx.publish(KIND, EventType.UPDATED, model_id, shown)
    await record_write(
        ctx,
        request,
        principal,
        action="update",
        kind=KIND,
        resource_id=model_id,
        before=before,
        after=shown,
    )
    return shown


@router.delete("/{model_id}", status_code=204, responses=errors(404))
async def delete_model(
    model_id: PathId, principal: AdminPrincipal, ctx: Ctx, session: Session, request: Request
) -> None:
    model = await _get(session, model_id)
    before = public(model)
    # Requests in flight finish first (bounded by drain_timeout); nothing new is routed.
    timeout = DEFAULT_DRAIN_TIMEOUT_S if model.drain_timeout is None else model.drain_timeout
    model.deleting = True
    session.add(model)
    await drain(ctx, session, col(ModelInstance.model_id) == model_id, timeout)
    # Instances go first, one event each, so workers stop their engines.
    await delete_instances(ctx, session, col(ModelInstance.model_id) == model_id)
    await session.delete(model)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, model_id, None)
    await record_write(
        ctx, request, principal, action="delete", kind=KIND, resource_id=model_id, before=before
    )


@router.get(
    "/{model_id}/instances",
    responses=listing(ModelInstancePublic, watch=False) | errors(404),
)
async def model_instances(model_id: PathId, _: AdminPrincipal, session: Session) -> Any:
    await _get(session, model_id)
    query = select(ModelInstance).where(ModelInstance.model_id == model_id)
    rows = (await session.exec(query.order_by(col(ModelInstance.id)))).all()
    items = [instance_public(r).model_dump(mode="json") for r in rows]
    pagination = {"page": 1, "perPage": len(items), "total": len(items), "totalPage": 1}
    return {"items": items, "pagination": pagination}


@router.post("/{model_id}/restart", response_model=ModelPublic, responses=errors(404))
async def restart_model(
    model_id: PathId, principal: AdminPrincipal, ctx: Ctx, session: Session, request: Request
) -> ModelPublic:
    """Replace every instance: the replica controller creates fresh ones right away."""
    model = await _get(session, model_id)
    await delete_instances(ctx, session, col(ModelInstance.model_id) == model_id)
    await session.commit()
    ctx.publish(KIND, EventType.UPDATED, model_id, public(model))
    await record_write(ctx, request, principal, action="restart", kind=KIND, resource_id=model_id)
    return public(model)


async def _get(session: AsyncSession, model_id: int) -> Model:
    model = await session.get(Model, model_id)
    if model is None:
        raise not_found("model", model_id)
    return model


async def _commit_unique(session: AsyncSession, name: str) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ApiError(409, f"a model named {name!r} already exists") from exc
