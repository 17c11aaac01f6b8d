"""/v2/model-routes: public model names over weighted targets and fallbacks (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_routes import (
    ModelRouteCreate,
    ModelRoutePublic,
    ModelRouteRow,
    ModelRouteUpdate,
    RouteFallback,
    RouteTarget,
)
from gpustack.schemas.models import Model
from gpustack.schemas.providers import Provider
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.dependencies import AdminPrincipal, Ctx, Session
from gpustack.server.errors import ApiError, not_found
from gpustack.server.listing import ListParams, list_params, paginate, watch_response

router = APIRouter(prefix="/v2/model-routes", tags=["model-routes"], responses=AUTHENTICATED)
KIND = ResourceKind.MODEL_ROUTES


def public(row: ModelRouteRow) -> ModelRoutePublic:
    return ModelRoutePublic.model_validate(row.model_dump())


@router.get("", responses=listing(ModelRoutePublic))
async def list_routes(
    _: AdminPrincipal, ctx: Ctx, session: Session, params: ListParams = Depends(list_params)
) -> Any:
    if params.watch:
        return watch_response(ctx.bus, KIND)
    return await paginate(session, ModelRouteRow, params, public, ("name", "description"))


@router.post("", response_model=ModelRoutePublic, status_code=201, responses=errors(409, 413))
async def create_route(
    body: ModelRouteCreate, _: AdminPrincipal, ctx: Ctx, session: Session
) -> ModelRoutePublic:
    clash = (await session.exec(select(Model.id).where(col(Model.name) == body.name))).first()
    if clash is not None:
        raise ApiError(409, f"{body.name!r} is the name of a deployment")
    await _check_destinations(session, body.targets, body.fallbacks)
    row = ModelRouteRow(
        name=body.name,
        description=body.description,
        targets=[t.model_dump(mode="json", exclude_none=True) for t in body.targets],
        fallbacks=[f.model_dump(mode="json", exclude_none=True) for f in body.fallbacks],
        cooldown_failures=body.cooldown_failures,
        cooldown_seconds=body.cooldown_seconds,
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError as exc:
        raise ApiError(409, f"a route named {body.name!r} already exists") from exc
    assert row.id is not None
    shown = public(row)
    ctx.publish(KIND, EventType.CREATED, row.id, shown)
    return shown


@router.get("/{route_id}", response_model=ModelRoutePublic, responses=errors(404))
async def get_route(route_id: PathId, _: AdminPrincipal, session: Session) -> ModelRoutePublic:
    return public(await _get(session, route_id))


@router.put("/{route_id}", response_model=ModelRoutePublic, responses=errors(404, 413))
async def update_route(
    route_id: PathId, body: ModelRouteUpdate, _: AdminPrincipal, ctx: Ctx, session: Session
) -> ModelRoutePublic:
    row = await _get(session, route_id)
    await _check_destinations(session, body.targets or [], body.fallbacks or [])
    if body.targets is not None:
        row.targets = [t.model_dump(mode="json", exclude_none=True) for t in body.targets]
    if body.fallbacks is not None:
        row.fallbacks = [f.model_dump(mode="json", exclude_none=True) for f in body.fallbacks]
    for field in ("description", "cooldown_failures", "cooldown_seconds"):
        value = getattr(body, field)
        if value is not None:
            setattr(row, field, value)
    row.updated_at = utcnow()
    session.add(row)
    await session.commit()
    shown = public(row)
    ctx.publish(KIND, EventType.UPDATED, route_id, shown)
    return shown


@router.delete("/{route_id}", status_code=204, responses=errors(404))
async def delete_route(route_id: PathId, _: AdminPrincipal, ctx: Ctx, session: Session) -> None:
    row = await _get(session, route_id)
    await session.delete(row)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, route_id, None)


async def _check_destinations(
    session: AsyncSession, targets: list[RouteTarget], fallbacks: list[RouteFallback]
) -> None:
    """Every deployment and provider named must exist now (400); one deleted later only
    leaves that target without an instance."""
    destinations = [*targets, *fallbacks]
    models = {d.model for d in destinations if d.model is not None}
    providers = {d.provider_model.provider for d in destinations if d.provider_model is not None}
    if models:
        found = set(
            (await session.exec(select(Model.name).where(col(Model.name).in_(models)))).all()
        )
        missing = sorted(models - found)
        if missing:
            raise ApiError(400, f"no deployment named {', '.join(map(repr, missing))}")
    if providers:
        query = select(Provider.name).where(col(Provider.name).in_(providers))
        found = set((await session.exec(query)).all())
        missing = sorted(providers - found)
        if missing:
            raise ApiError(400, f"no provider named {', '.join(map(repr, missing))}")


async def _get(session: AsyncSession, route_id: int) -> ModelRouteRow:
    row: ModelRouteRow | None = await session.get(ModelRouteRow, route_id)
    if row is None:
        raise not_found("model route", route_id)
    return row
