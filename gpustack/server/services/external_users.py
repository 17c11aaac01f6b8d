"""Users who sign in through OIDC or LDAP: found by their identity there, created or updated."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.users import NO_PASSWORD, USERNAME_PATTERN, User, UserPublic, UserSource
from gpustack.server.context import ServerContext


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    source: UserSource
    external_id: str
    username: str
    full_name: str
    # None: the role is not managed by groups (no admin groups configured), so it is kept.
    is_admin: bool | None


class SignInRefusedError(Exception):
    """The identity is genuine but may not sign in here; the message says why."""


async def sign_in(
    ctx: ServerContext, session: AsyncSession, identity: ExternalIdentity, auto_create: bool
) -> User:
    """The user for `identity`: linked by its external id, else a pre-created user of that
    source and name, else (with `auto_create`) a new one. A local account of the same name is
    never taken over."""
    user = (
        await session.exec(
            select(User).where(
                User.source == identity.source.value, User.external_id == identity.external_id
            )
        )
    ).first()
    if user is None:
        user = (await session.exec(select(User).where(User.username == identity.username))).first()
        if user is not None and (user.source != identity.source or user.external_id is not None):
            raise SignInRefusedError(f"the user name {identity.username!r} is taken")
    created = user is None
    if user is None:
        if not auto_create:
            raise SignInRefusedError(f"no user {identity.username!r} was created for this sign-in")
        if not re.fullmatch(USERNAME_PATTERN, identity.username):
            raise SignInRefusedError(f"{identity.username!r} cannot be a user name here")
        user = User(
            username=identity.username,
            source=identity.source.value,
            hashed_password=NO_PASSWORD,
            full_name=identity.full_name,
        )
    if not user.is_active:
        raise SignInRefusedError("this account is deactivated")
    user.external_id = identity.external_id
    if identity.full_name:
        user.full_name = identity.full_name
    if identity.is_admin is not None:
        user.is_admin = identity.is_admin
    user.updated_at = utcnow()
    session.add(user)
    await session.commit()
    await session.refresh(user)
    assert user.id is not None
    public = UserPublic.model_validate(user, from_attributes=True)
    ctx.publish(
        ResourceKind.USERS, EventType.CREATED if created else EventType.UPDATED, user.id, public
    )
    return user
