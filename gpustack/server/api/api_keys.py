"""/v2/api-keys: each user creates, lists and deletes only their own keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from gpustack.schemas.api_keys import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    ApiKeyUpdate,
)
from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.dependencies import Ctx, Session, UserPrincipal
from gpustack.server.errors import ApiError, not_found
from gpustack.server.events import Event
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.security.key_material import digest, mask, new_key, new_salt
from gpustack.server.services.audit import record_write

router = APIRouter(prefix="/v2/api-keys", tags=["api-keys"], responses=AUTHENTICATED)
KIND = ResourceKind.API_KEYS


def public(key: ApiKey) -> ApiKeyPublic:
    data = key.model_dump()
    data["masked_value"] = mask(key.access_key)
    return ApiKeyPublic.model_validate(data)


@router.get("", responses=listing(ApiKeyPublic))
async def list_keys(
    principal: UserPrincipal, ctx: Ctx, session: Session, params: ListParams = Depends(list_params)
) -> Any:
    if params.watch:
        owned = _owned_ids_filter(principal.user_id)
        return watch_response(ctx.bus, KIND, owned)
    where: list[ColumnElement[bool]] = [col(ApiKey.user_id) == principal.user_id]
    return await paginate(session, ApiKey, params, public, ("name", "description"), where)


@router.post("", response_model=ApiKeyCreated, status_code=201, responses=errors(409, 413))
async def create_key(
    body: ApiKeyCreate, principal: UserPrincipal, ctx: Ctx, session: Session, request: Request
) -> ApiKeyCreated:
    parts = new_key()
    salt = new_salt()
    key = ApiKey(
        user_id=principal.user_id,
        name=body.name,
        description=body.description,
        access_key=parts.access_key,
        hashed_secret=await ctx.passwords.hash(parts.secret),
        secret_salt=salt,
        secret_digest=digest(parts.secret, salt),
        scope=body.scope.value,
        allowed_model_names=body.allowed_model_names,
        expires_at=None
        if body.expires_in is None
        else utcnow() + timedelta(seconds=body.expires_in),
        rpm_limit=body.rpm_limit,
        tpm_limit=body.tpm_limit,
        tpd_limit=body.tpd_limit,
        request_log=body.request_log,
    )
    session.add(key)
    try:
        await session.commit()
    except IntegrityError as exc:
        raise ApiError(409, f"you already have an API key named {body.name!r}") from exc
    assert key.id is not None
    shown = public(key)
    ctx.publish(KIND, EventType.CREATED, key.id, shown)
    await record_write(
        ctx, request, principal, action="create", kind=KIND, resource_id=key.id, after=shown
    )
    return ApiKeyCreated(**shown.model_dump(), value=parts.value)


@router.get("/{key_id}", response_model=ApiKeyPublic, responses=errors(404))
async def get_key(key_id: PathId, principal: UserPrincipal, session: Session) -> ApiKeyPublic:
    return public(await _own_key(session, key_id, principal.user_id))


@router.put("/{key_id}", response_model=ApiKeyPublic, responses=errors(404, 413))
async def update_key(
    key_id: PathId,
    body: ApiKeyUpdate,
    principal: UserPrincipal,
    ctx: Ctx,
    session: Session,
    request: Request,
) -> ApiKeyPublic:
    key = await _own_key(session, key_id, principal.user_id)
    before = public(key)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(key, field, value.value if field == "scope" and value is not None else value)
    key.updated_at = utcnow()
    session.add(key)
    await session.commit()
    shown = public(key)
    ctx.publish(KIND, EventType.UPDATED, key_id, shown)
    await record_write(
        ctx,
        request,
        principal,
        action="update",
        kind=KIND,
        resource_id=key_id,
        before=before,
        after=shown,
    )
    return shown


@router.delete("/{key_id}", status_code=204, responses=errors(404))
async def delete_key(
    key_id: PathId, principal: UserPrincipal, ctx: Ctx, session: Session, request: Request
) -> None:
    key = await _own_key(session, key_id, principal.user_id)
    before = public(key)
    await session.delete(key)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, key_id, None)
    await record_write(
        ctx, request, principal, action="delete", kind=KIND, resource_id=key_id, before=before
    )


async def _own_key(session: Any, key_id: int, user_id: int) -> ApiKey:
    key: ApiKey | None = await session.get(ApiKey, key_id)
    # Another user's key answers like a missing one: ids must not reveal what others own.
    if key is None or key.user_id != user_id:
        raise not_found("API key", key_id)
    return key


def _owned_ids_filter(user_id: int) -> Any:
    def keep(event: Event) -> bool:
        return event.type == EventType.DELETED or event.data.get("user_id") == user_id

    return keep
