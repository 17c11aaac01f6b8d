"""Who manages whom: administrators manage everyone, a group's admins that group's members."""

from __future__ import annotations

from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.groups import GroupMember, GroupRole
from gpustack.server.security.principal import Principal


async def group_role(session: AsyncSession, group_id: int, user_id: int) -> GroupRole | None:
    row = await session.get(GroupMember, (group_id, user_id))
    return None if row is None else GroupRole(row.role)


async def admins_group(session: AsyncSession, principal: Principal, group_id: int) -> bool:
    """An administrator, or an admin of this group."""
    if principal.is_admin:
        return True
    return await group_role(session, group_id, principal.user_id) == GroupRole.ADMIN


async def manages_user(session: AsyncSession, principal: Principal, user_id: int) -> bool:
    """An administrator, or an admin of a group the user belongs to."""
    if principal.is_admin:
        return True
    if principal.user_id == user_id:
        return False
    mine = aliased(GroupMember)
    theirs = aliased(GroupMember)
    query = (
        select(col(mine.group_id))
        .join(theirs, col(theirs.group_id) == col(mine.group_id))
        .where(
            col(mine.user_id) == principal.user_id,
            col(mine.role) == GroupRole.ADMIN.value,
            col(theirs.user_id) == user_id,
        )
        .limit(1)
    )
    return (await session.exec(query)).first() is not None
