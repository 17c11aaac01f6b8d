"""/auth: log in (session cookie), log out, change password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response
from sqlmodel import select

from gpustack.schemas.common import NO_NUL_PATTERN, utcnow
from gpustack.schemas.users import PasswordUpdate, User, UserPublic
from gpustack.server.dependencies import Ctx, Session, UserPrincipal
from gpustack.server.errors import ApiError
from gpustack.server.events import EventType
from gpustack.server.security.passwords import PasswordPolicyError, check_password_policy
from gpustack.server.security.sessions import SESSION_COOKIE

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=UserPublic)
async def login(
    ctx: Ctx,
    session: Session,
    response: Response,
    username: Annotated[str, Form(max_length=64, pattern=NO_NUL_PATTERN)],
    password: Annotated[str, Form(max_length=256)],
) -> User:
    user = (await session.exec(select(User).where(User.username == username))).first()
    valid = user is not None and await ctx.passwords.verify(user.hashed_password, password)
    if user is None or not valid:
        raise ApiError(401, "incorrect username or password")
    if not user.is_active:
        raise ApiError(403, "this account is deactivated; ask an administrator")
    assert user.id is not None
    response.set_cookie(
        SESSION_COOKIE,
        ctx.codec.issue(user.id),
        max_age=ctx.codec.expire_seconds,
        httponly=True,
        samesite="lax",
        secure=ctx.config.ssl_certfile is not None,
    )
    return user


@router.post("/logout")
async def logout(response: Response) -> dict[str, str]:
    response.delete_cookie(SESSION_COOKIE)
    return {"message": "logged out"}


@router.post("/update-password", response_model=UserPublic)
async def update_password(
    body: PasswordUpdate, principal: UserPrincipal, ctx: Ctx, session: Session
) -> User:
    user = await session.get(User, principal.user_id)
    if user is None:
        raise ApiError(404, "user not found")
    if not await ctx.passwords.verify(user.hashed_password, body.current_password):
        raise ApiError(400, "current password is incorrect")
    if body.new_password == body.current_password:
        raise ApiError(400, "the new password must differ from the current one")
    try:
        check_password_policy(body.new_password)
    except PasswordPolicyError as exc:
        raise ApiError(400, str(exc)) from exc
    user.hashed_password = await ctx.passwords.hash(body.new_password)
    user.require_password_change = False
    user.updated_at = utcnow()
    session.add(user)
    await session.commit()
    ctx.publish(
        "users",
        EventType.UPDATED,
        principal.user_id,
        UserPublic.model_validate(user, from_attributes=True),
    )
    return user
