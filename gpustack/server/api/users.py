"""/v2/users: accounts (admin only) and /v2/users/me."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.exc import IntegrityError

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.users import NO_PASSWORD, User, UserCreate, UserPublic, UserSource, UserUpdate
from gpustack.server.api.auth import set_session_cookie
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.context import ServerContext
from gpustack.server.dependencies import AdminPrincipal, Ctx, Session, UserPrincipal
from gpustack.server.errors import ApiError, not_found
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.security.passwords import PasswordPolicyError, check_password_policy
from gpustack.server.services.audit import record_write

router = APIRouter(prefix="/v2/users", tags=["users"], responses=AUTHENTICATED)
KIND = ResourceKind.USERS


def public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/me", response_model=UserPublic, responses=errors(404))
async def me(principal: UserPrincipal, request: Request) -> Response:
    ctx: ServerContext = request.app.state.ctx
    body = await ctx.authenticator.user_public_json(principal.user_id)
    if body is None:
        raise not_found("user", principal.user_id)
    return Response(body, media_type="application/json")


@router.get("", responses=listing(UserPublic))
async def list_users(
    _: AdminPrincipal, ctx: Ctx, session: Session, params: ListParams = Depends(list_params)
) -> Any:
    if params.watch:
        return watch_response(ctx.bus, KIND)
    return await paginate(session, User, params, public, ("username", "full_name"))


@router.post("", response_model=UserPublic, status_code=201, responses=errors(409, 413))
async def create_user(
    body: UserCreate, principal: AdminPrincipal, ctx: Ctx, session: Session, request: Request
) -> User:
    if body.password is not None:
        _check_policy(body.password)
    user = User(
        username=body.username,
        full_name=body.full_name,
        is_admin=body.is_admin,
        is_active=body.is_active,
        source=body.source.value,
        hashed_password=NO_PASSWORD
        if body.password is None
        else await ctx.passwords.hash(body.password),
    )
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        raise ApiError(409, f"a user named {body.username!r} already exists") from exc
    assert user.id is not None
    shown = public(user)
    ctx.publish(KIND, EventType.CREATED, user.id, shown)
    await record_write(
        ctx, request, principal, action="create", kind=KIND, resource_id=user.id, after=shown
    )
    return user


@router.get("/{user_id}", response_model=UserPublic, responses=errors(404))
async def get_user(user_id: PathId, _: AdminPrincipal, session: Session) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    return user


@router.put("/{user_id}", response_model=UserPublic, responses=errors(404, 413))
async def update_user(
    user_id: PathId,
    body: UserUpdate,
    principal: AdminPrincipal,
    ctx: Ctx,
    session: Session,
    response: Response,
    request: Request,
) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    before = public(user)
    if user_id == principal.user_id and (body.is_admin is False or body.is_active is False):
        raise ApiError(400, "you cannot remove your own admin role or deactivate yourself")
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    for field, value in changes.items():
        if value is not None:
            setattr(user, field, value)
    if body.password is not None:
        if user.source != UserSource.LOCAL:
            raise ApiError(
                400, f"the password of a {user.source} user is kept by its identity provider"
            )
        _check_policy(body.password)
        user.hashed_password = await ctx.passwords.hash(body.password)
    ends_sessions = body.password is not None or body.is_active is False
    if ends_sessions:
        # A reset password or a deactivation ends the user's sessions for good (reactivating
        # the account does not bring them back).
        user.session_generation += 1
    user.updated_at = utcnow()
    session.add(user)
    await session.commit()
    shown = public(user)
    ctx.publish(KIND, EventType.UPDATED, user_id, shown)
    # A new password shows as a changed (redacted) field, never its value.
    after = shown.model_dump(mode="json") | ({"password": "*"} if body.password else {})
    await record_write(
        ctx,
        request,
        principal,
        action="update",
        kind=KIND,
        resource_id=user_id,
        before=before,
        after=after,
    )
    if ends_sessions and user_id == principal.user_id and principal.api_key_id is None:
        set_session_cookie(response, ctx, user)  # an admin resetting their own password
    return user


@router.delete("/{user_id}", status_code=204, responses=errors(404))
async def delete_user(
    user_id: PathId, principal: AdminPrincipal, ctx: Ctx, session: Session, request: Request
) -> None:
    if user_id == principal.user_id:
        raise ApiError(400, "you cannot delete your own account")
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    before = public(user)
    await session.delete(user)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, user_id, None)
    await record_write(
        ctx, request, principal, action="delete", kind=KIND, resource_id=user_id, before=before
    )


def _check_policy(password: str) -> None:
    try:
        check_password_policy(password)
    except PasswordPolicyError as exc:
        raise ApiError(400, str(exc)) from exc
