"""/v2/api-keys: each user's own keys; administrators and group admins also manage the keys
of the users they manage (`?user_id=`, `user_id` in the body).

A key can be disabled and enabled again (`PATCH {"is_active": false}`): the event drops it from
every server's cache, so the very next request with it is refused. A key disabled by a manager
can be enabled again only by a manager.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
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
from gpustack.schemas.common import DB_INT_MAX, utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.dependencies import Ctx, Session, UserPrincipal
from gpustack.server.errors import ApiError, not_found
from gpustack.server.events import Event
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.security.key_material import digest, mask, new_key, new_salt
from gpustack.server.security.principal import Principal
from gpustack.server.services.audit import record_write
from gpustack.server.services.memberships import manages_user

router = APIRouter(prefix="/v2/api-keys", tags=["api-keys"], responses=AUTHENTICATED)
KIND = ResourceKind.API_KEYS


def public(key: ApiKey) -> ApiKeyPublic:
    data = key.model_dump()
    data["masked_value"] = mask(key.access_key)
    return ApiKeyPublic.model_validate(data)


@router.get("", responses=listing(ApiKeyPublic))
async def list_keys(
    principal: UserPrincipal,
    ctx: Ctx,
    session: Session,
    params: ListParams = Depends(list_params),
    user_id: int | None = Query(None, ge=1, le=DB_INT_MAX, description="another user's keys"),
) -> Any:
    owner = principal.user_id if user_id is None else user_id
    await _check_manages(session, principal, owner)
    if params.watch:
        owned = _owned_ids_filter(owner)
        return watch_response(ctx.bus, KIND, owned)
    where: list[ColumnElement[bool]] = [col(ApiKey.user_id) == owner]
    return await paginate(session, ApiKey, params, public, ("name", "description"), where)


@router.post("", response_model=ApiKeyCreated, status_code=201, responses=errors(409, 413))
async def create_key(
    body: ApiKeyCreate, principal: UserPrincipal, ctx: Ctx, session: Session, request: Request
) -> ApiKeyCreated:
    owner = principal.user_id if body.user_id is None else body.user_id
    await _check_manages(session, principal, owner)
    parts = new_key()
    salt = new_salt()
    key = ApiKey(
        user_id=owner,
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
        raise ApiError(409, f"an API key named {body.name!r} already exists") from exc
    assert key.id is not None
    shown = public(key)
    ctx.publish(KIND, EventType.CREATED, key.id, shown)
    await record_write(
        ctx, request, principal, action="create", kind=KIND, resource_id=key.id, after=shown
    )
    return ApiKeyCreated(**shown.model_dump(), value=parts.value)


@router.get("/{key_id}", response_model=ApiKeyPublic, responses=errors(404))
async def get_key(key_id: PathId, principal: UserPrincipal, session: Session) -> ApiKeyPublic:
    return public(await _own_key(session, key_id, principal))


@router.patch("/{key_id}", response_model=ApiKeyPublic, responses=errors(404, 413))
@router.put("/{key_id}", response_model=ApiKeyPublic, responses=errors(404, 413))
async def update_key(
    key_id: PathId,
    body: ApiKeyUpdate,
    principal: UserPrincipal,
    ctx: Ctx,
    session: Session,
    request: Request,
) -> ApiKeyPublic:
    key = await _own_key(session, key_id, principal)
    before = public(key)
    # Attributes, not a dump: the dump would render `expires_at` as text.
    changes = {field: getattr(body, field) for field in body.model_fields_set}
    if "is_active" in changes:
        await _set_active(session, principal, key, changes.pop("is_active"))
    for field, value in changes.items():
        if field == "scope" and value is not None:
            value = value.value
        elif field == "expires_at" and value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        setattr(key, field, value)
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
    key = await _own_key(session, key_id, principal)
    before = public(key)
    await session.delete(key)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, key_id, None)
    await record_write(
        ctx, request, principal, action="delete", kind=KIND, resource_id=key_id, before=before
    )


async def _own_key(session: Any, key_id: int, principal: Principal) -> ApiKey:
    """A key of the caller, or of a user the caller manages."""
    key: ApiKey | None = await session.get(ApiKey, key_id)
    # Another user's key answers like a missing one: ids must not reveal what others own.
    if key is None or (
        key.user_id != principal.user_id and not await manages_user(session, principal, key.user_id)
    ):
        raise not_found("API key", key_id)
    return key


async def _check_manages(session: Any, principal: Principal, user_id: int) -> None:
    if user_id != principal.user_id and not await manages_user(session, principal, user_id):
        raise ApiError(403, "only an administrator or an admin of the user's group may do this")


async def _set_active(session: Any, principal: Principal, key: ApiKey, active: bool) -> None:
    by_owner = key.user_id == principal.user_id
    if active and key.disabled_by is not None and key.disabled_by != principal.user_id:
        # Disabled by a manager: only a manager takes that back.
        if by_owner and not await manages_user(session, principal, key.user_id):
            raise ApiError(403, "this key was disabled by an administrator or group admin")
    key.is_active = active
    key.disabled_by = None if active or by_owner else principal.user_id


def _owned_ids_filter(user_id: int) -> Any:
    def keep(event: Event) -> bool:
        return event.type == EventType.DELETED or event.data.get("user_id") == user_id

    return keep
