"""/auth: log in (session cookie; local users, then LDAP), log out, change password.

Logout and password changes bump the user's session generation, which ends every session the
user has (all browsers, not only this one); a password change hands this browser a new cookie.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlmodel import select

from gpustack.schemas.common import NO_NUL_PATTERN, utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.users import PasswordUpdate, User, UserPublic, UserSource
from gpustack.server.context import ServerContext
from gpustack.server.dependencies import Ctx, Session, UserPrincipal
from gpustack.server.errors import ApiError
from gpustack.server.security.group_mapping import is_admin
from gpustack.server.security.ldap_auth import LdapUnavailableError
from gpustack.server.security.login_throttle import Attempt
from gpustack.server.security.passwords import PasswordPolicyError, check_password_policy
from gpustack.server.security.sessions import SESSION_COOKIE
from gpustack.server.services.audit import record_write
from gpustack.server.services.external_users import ExternalIdentity, SignInRefusedError, sign_in

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])

# One answer for an unknown user, a wrong password and a deactivated account alike.
LOGIN_REFUSED = "incorrect username or password"


def set_session_cookie(response: Response, ctx: ServerContext, user: User) -> None:
    """A session for the user's current generation."""
    assert user.id is not None
    response.set_cookie(
        SESSION_COOKIE,
        ctx.codec.issue(user.id, user.session_generation),
        max_age=ctx.codec.expire_seconds,
        httponly=True,
        samesite="lax",
        secure=ctx.config.ssl_certfile is not None,
    )


def client_address(request: Request) -> str:
    """The peer address. X-Forwarded-For is not read here: only uvicorn may apply it, and it
    does so only for connections from the proxies it trusts (loopback unless configured)."""
    return request.client.host if request.client is not None else ""


def begin_attempt(ctx: ServerContext, request: Request, username: str) -> Attempt:
    """A counted password attempt, or 429 with Retry-After while throttled."""
    attempt = ctx.login_throttle.begin(username, client_address(request))
    if isinstance(attempt, int):
        raise ApiError(
            429,
            f"too many failed attempts; try again in {attempt} seconds",
            {"Retry-After": str(attempt)},
        )
    return attempt


@router.post("/login", response_model=UserPublic)
async def login(
    ctx: Ctx,
    session: Session,
    request: Request,
    response: Response,
    username: Annotated[str, Form(max_length=64, pattern=NO_NUL_PATTERN)],
    password: Annotated[str, Form(max_length=256)],
) -> User:
    attempt = begin_attempt(ctx, request, username)
    user = (await session.exec(select(User).where(User.username == username))).first()
    local = user is not None and user.source == UserSource.LOCAL
    # Always one argon2 verification, so timing does not tell which user names exist.
    hashed = user.hashed_password if user is not None and local else None
    valid = await ctx.passwords.verify_login(hashed, password)
    if not valid and ctx.ldap is not None:
        # Asked for every failed local check (also a local user's), so the answer takes the
        # same steps whoever the name belongs to; only a non-local name can sign in by it.
        directory_user = await _ldap_login(ctx, session, username, password)
        if not local and directory_user is not None:
            user, valid = directory_user, True
    if user is None or not valid or not user.is_active:
        raise ApiError(401, LOGIN_REFUSED)
    ctx.login_throttle.succeeded(attempt)
    set_session_cookie(response, ctx, user)
    return user


async def _ldap_login(
    ctx: ServerContext, session: Session, username: str, password: str
) -> User | None:
    """The LDAP user (created or updated) when the directory accepts the password."""
    assert ctx.ldap is not None
    try:
        found = await ctx.ldap.authenticate(username, password)
    except LdapUnavailableError as exc:
        logger.warning("LDAP sign-in unavailable: %s", exc)
        raise ApiError(503, "the user directory cannot be reached; try again later") from exc
    if found is None:
        return None
    admin_groups = ctx.ldap.admin_groups
    identity = ExternalIdentity(
        source=UserSource.LDAP,
        external_id=found.dn,
        username=username,
        full_name=found.full_name,
        is_admin=is_admin(found.groups, admin_groups) if admin_groups else None,
    )
    try:
        return await sign_in(ctx, session, identity, auto_create=True)
    except SignInRefusedError as exc:
        logger.info("LDAP user %s may not sign in: %s", username, exc)
        return None


@router.post("/logout")
async def logout(
    request: Request, response: Response, ctx: Ctx, session: Session
) -> dict[str, str]:
    principal = await ctx.authenticator.session_principal(request.headers)
    user = None if principal is None else await session.get(User, principal.user_id)
    if user is not None:
        # Ends every session of this user: a copied cookie dies with the one logged out.
        user.session_generation += 1
        session.add(user)
        await session.commit()
        ctx.publish(ResourceKind.USERS, EventType.UPDATED, user.id or 0, _public(user))
    response.delete_cookie(SESSION_COOKIE)
    return {"message": "logged out"}


@router.post("/update-password", response_model=UserPublic)
async def update_password(
    body: PasswordUpdate,
    principal: UserPrincipal,
    ctx: Ctx,
    session: Session,
    request: Request,
    response: Response,
) -> User:
    user = await session.get(User, principal.user_id)
    if user is None:
        raise ApiError(404, "user not found")
    if user.source != UserSource.LOCAL:
        raise ApiError(
            400, f"the password of a {user.source} user is kept by its identity provider"
        )
    # Guessing the current password here counts like guessing it at login.
    attempt = begin_attempt(ctx, request, user.username)
    if not await ctx.passwords.verify(user.hashed_password, body.current_password):
        raise ApiError(400, "current password is incorrect")
    ctx.login_throttle.succeeded(attempt)
    if body.new_password == body.current_password:
        raise ApiError(400, "the new password must differ from the current one")
    try:
        check_password_policy(body.new_password)
    except PasswordPolicyError as exc:
        raise ApiError(400, str(exc)) from exc
    user.hashed_password = await ctx.passwords.hash(body.new_password)
    user.require_password_change = False
    user.session_generation += 1
    user.updated_at = utcnow()
    session.add(user)
    await session.commit()
    ctx.publish(ResourceKind.USERS, EventType.UPDATED, principal.user_id, _public(user))
    await record_write(
        ctx,
        request,
        principal,
        action="password-change",
        kind=ResourceKind.USERS,
        resource_id=principal.user_id,
        after={"password": "*"},
    )
    if principal.api_key_id is None:
        # The other sessions ended; this browser carries on with a fresh cookie.
        set_session_cookie(response, ctx, user)
    return user


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)
