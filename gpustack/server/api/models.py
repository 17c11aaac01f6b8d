"""/v2/models: deployments — create, read, update, delete, restart, list their instances."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.models import Model, ModelPublic, ModelSpec, ModelUpdate
from gpustack.server.api.model_instances import delete_instances
from gpustack.server.api.model_instances import public as instance_public
from gpustack.server.dependencies import (
    AdminPrincipal,
    Ctx,
    ReaderPrincipal,
    Session,
    UserPrincipal,
)
from gpustack.server.errors import ApiError, not_found
from gpustack.server.events import EventType
from gpustack.server.listing import ListParams, list_params, paginate, watch_response

router = APIRouter(prefix="/v2/models", tags=["models"])
KIND = "models"


def public(model: Model) -> ModelPublic:
    return ModelPublic.model_validate(model.model_dump())


@router.get("")
async def list_models(
    _: UserPrincipal, ctx: Ctx, session: Session, params: ListParams = Depends(list_params)
) -> Any:
    if params.watch:
        return watch_response(ctx.bus, KIND)
    return await paginate(session, Model, params, public, ("name", "description"))


@router.post("", response_model=ModelPublic, status_code=201)
async def create_model(
    body: ModelSpec, _: AdminPrincipal, ctx: Ctx, session: Session
) -> ModelPublic:
    model = Model(name=body.name, source=body.source.value)
    model.apply_spec(body)
    session.add(model)
    await _commit_unique(session, body.name)
    assert model.id is not None
    shown = public(model)
    ctx.publish(KIND, EventType.CREATED, model.id, shown)
    return shown


@router.get("/{model_id}", response_model=ModelPublic)
async def get_model(model_id: int, _: ReaderPrincipal, session: Session) -> ModelPublic:
    return public(await _get(session, model_id))


@router.put("/{model_id}", response_model=ModelPublic)
async def update_model(
    model_id: int, body: ModelUpdate, _: AdminPrincipal, ctx: Ctx, session: Session
) -> ModelPublic:
    model = await _get(session, model_id)
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
    return shown


@router.delete("/{model_id}", status_code=204)
async def delete_model(model_id: int, _: AdminPrincipal, ctx: Ctx, session: Session) -> None:
    model = await _get(session, model_id)
    # Instances go first, one event each, so workers stop their engines.
    await delete_instances(ctx, session, col(ModelInstance.model_id) == model_id)
    await session.delete(model)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, model_id, None)


@router.get("/{model_id}/instances")
async def model_instances(model_id: int, _: AdminPrincipal, session: Session) -> dict[str, Any]:
    await _get(session, model_id)
    query = select(ModelInstance).where(ModelInstance.model_id == model_id)
    rows = (await session.exec(query.order_by(col(ModelInstance.id)))).all()
    items = [instance_public(r).model_dump(mode="json") for r in rows]
    pagination = {"page": 1, "perPage": len(items), "total": len(items), "totalPage": 1}
    return {"items": items, "pagination": pagination}


@router.post("/{model_id}/restart", response_model=ModelPublic)
async def restart_model(
    model_id: int, _: AdminPrincipal, ctx: Ctx, session: Session
) -> ModelPublic:
    """Replace every instance: the replica controller creates fresh ones right away."""
    model = await _get(session, model_id)
    await delete_instances(ctx, session, col(ModelInstance.model_id) == model_id)
    await session.commit()
    ctx.publish(KIND, EventType.UPDATED, model_id, public(model))
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
