"""/v2/providers: external model APIs (admin). Keys are sealed at rest and never shown."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_routes import ModelRouteRow
from gpustack.schemas.providers import Provider, ProviderCreate, ProviderPublic, ProviderUpdate
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.dependencies import AdminPrincipal, Ctx, Session
from gpustack.server.errors import ApiError, not_found
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.security.secret_box import SecretBox

router = APIRouter(prefix="/v2/providers", tags=["providers"], responses=AUTHENTICATED)
KIND = ResourceKind.PROVIDERS
# Keys shorter than this show no characters at all: four would give too much of them away.
_SHOW_TAIL_FROM = 16


def public(provider: Provider) -> ProviderPublic:
    data = provider.model_dump(exclude={"api_key_encrypted"})
    data["api_key_set"] = provider.api_key_encrypted is not None
    data["headers"] = provider.headers or {}
    return ProviderPublic.model_validate(data)


def set_key(provider: Provider, key: str | None, secrets: SecretBox) -> None:
    provider.api_key_encrypted = None if key is None else secrets.seal(key)
    provider.api_key_last4 = key[-4:] if key is not None and len(key) >= _SHOW_TAIL_FROM else ""


@router.get("", responses=listing(ProviderPublic))
async def list_providers(
    _: AdminPrincipal, ctx: Ctx, session: Session, params: ListParams = Depends(list_params)
) -> Any:
    if params.watch:
        return watch_response(ctx.bus, KIND)
    return await paginate(session, Provider, params, public, ("name", "base_url"))


@router.post("", response_model=ProviderPublic, status_code=201, responses=errors(409, 413))
async def create_provider(
    body: ProviderCreate, _: AdminPrincipal, ctx: Ctx, session: Session
) -> ProviderPublic:
    provider = Provider(
        name=body.name,
        kind=body.kind.value,
        base_url=body.base_url,
        timeout=body.timeout,
        headers=body.headers,
    )
    set_key(provider, body.api_key, ctx.secrets)
    session.add(provider)
    try:
        await session.commit()
    except IntegrityError as exc:
        raise ApiError(409, f"a provider named {body.name!r} already exists") from exc
    assert provider.id is not None
    shown = public(provider)
    ctx.publish(KIND, EventType.CREATED, provider.id, shown)
    return shown


@router.get("/{provider_id}", response_model=ProviderPublic, responses=errors(404))
async def get_provider(provider_id: PathId, _: AdminPrincipal, session: Session) -> ProviderPublic:
    return public(await _get(session, provider_id))


@router.put("/{provider_id}", response_model=ProviderPublic, responses=errors(404, 413))
async def update_provider(
    provider_id: PathId, body: ProviderUpdate, _: AdminPrincipal, ctx: Ctx, session: Session
) -> ProviderPublic:
    provider = await _get(session, provider_id)
    changes = body.model_dump(exclude_unset=True)
    if "api_key" in changes:
        set_key(provider, changes.pop("api_key"), ctx.secrets)
    for field, value in changes.items():
        if value is None:
            continue  # only the key may be cleared
        setattr(provider, field, value.value if field == "kind" else value)
    provider.updated_at = utcnow()
    session.add(provider)
    await session.commit()
    shown = public(provider)
    ctx.publish(KIND, EventType.UPDATED, provider_id, shown)
    return shown


@router.delete("/{provider_id}", status_code=204, responses=errors(404, 409))
async def delete_provider(
    provider_id: PathId, _: AdminPrincipal, ctx: Ctx, session: Session
) -> None:
    provider = await _get(session, provider_id)
    users = await routes_using(session, provider.name)
    if users:
        raise ApiError(409, f"provider {provider.name!r} is used by routes: {', '.join(users)}")
    await session.delete(provider)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, provider_id, None)


async def routes_using(session: AsyncSession, provider: str) -> list[str]:
    rows = (await session.exec(select(ModelRouteRow))).all()
    return [
        row.name
        for row in rows
        if any(
            (item.get("provider_model") or {}).get("provider") == provider
            for item in [*row.targets, *row.fallbacks]
        )
    ]


async def _get(session: AsyncSession, provider_id: int) -> Provider:
    provider: Provider | None = await session.get(Provider, provider_id)
    if provider is None:
        raise not_found("provider", provider_id)
    return provider
