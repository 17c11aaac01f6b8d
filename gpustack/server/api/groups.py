"""/v2/groups: teams (administrators), and their members (also the group's own admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.groups import (
    Group,
    GroupCreate,
    GroupMember,
    GroupMemberAdd,
    GroupMemberPublic,
    GroupMemberUpdate,
    GroupPublic,
    GroupRole,
    GroupUpdate,
)
from gpustack.schemas.users import User
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.context import ServerContext
from gpustack.server.dependencies import AdminPrincipal, Ctx, Session, UserPrincipal
from gpustack.server.errors import ApiError, not_found
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.security.principal import Principal
from gpustack.server.services.memberships import admins_group

router = APIRouter(prefix="/v2/groups", tags=["groups"], responses=AUTHENTICATED)
KIND = ResourceKind.GROUPS
# Event hint: the group's members changed (caches of its members' groups must be dropped).
MEMBERS_CHANGED = "members"


def public(group: Group) -> GroupPublic:
    return GroupPublic.model_validate(group, from_attributes=True)


@router.get("", responses=listing(GroupPublic))
async def list_groups(
    principal: UserPrincipal,
    ctx: Ctx,
    session: Session,
    params: ListParams = Depends(list_params),
) -> Any:
    """Administrators see every group; others the groups they belong to."""
    mine = select(GroupMember.group_id).where(GroupMember.user_id == principal.user_id)
    if params.watch:
        if principal.is_admin:
            return watch_response(ctx.bus, KIND)
        ids = set((await session.exec(mine)).all())
        return watch_response(ctx.bus, KIND, lambda event: event.id in ids)
    where = [] if principal.is_admin else [col(Group.id).in_(mine)]
    return await paginate(session, Group, params, public, ("name", "description"), where)


@router.post("", response_model=GroupPublic, status_code=201, responses=errors(409, 413))
async def create_group(
    body: GroupCreate, _: AdminPrincipal, ctx: Ctx, session: Session
) -> GroupPublic:
    group = Group(**body.model_dump())
    session.add(group)
    await _commit_unique(session, body.name)
    assert group.id is not None
    shown = public(group)
    ctx.publish(KIND, EventType.CREATED, group.id, shown)
    return shown


@router.get("/{group_id}", response_model=GroupPublic, responses=errors(404))
async def get_group(group_id: PathId, principal: UserPrincipal, session: Session) -> GroupPublic:
    group = await _group(session, group_id)
    if (
        not principal.is_admin
        and await session.get(GroupMember, (group_id, principal.user_id)) is None
    ):
        raise ApiError(403, "you are not a member of this group")
    return public(group)


@router.put("/{group_id}", response_model=GroupPublic, responses=errors(404, 409, 413))
async def update_group(
    group_id: PathId, body: GroupUpdate, _: AdminPrincipal, ctx: Ctx, session: Session
) -> GroupPublic:
    group = await _group(session, group_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is None and field in ("name", "description"):
            continue
        setattr(group, field, value)
    group.updated_at = utcnow()
    session.add(group)
    await _commit_unique(session, group.name)
    shown = public(group)
    ctx.publish(KIND, EventType.UPDATED, group_id, shown)
    return shown


@router.delete("/{group_id}", status_code=204, responses=errors(404))
async def delete_group(group_id: PathId, _: AdminPrincipal, ctx: Ctx, session: Session) -> None:
    group = await _group(session, group_id)
    for member in (
        await session.exec(select(GroupMember).where(GroupMember.group_id == group_id))
    ).all():
        await session.delete(member)
    await session.delete(group)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, group_id, None)


@router.get(
    "/{group_id}/members", responses={**listing(GroupMemberPublic, watch=False), **errors(404)}
)
async def list_members(
    group_id: PathId, principal: UserPrincipal, session: Session
) -> dict[str, Any]:
    await _managed_group(session, principal, group_id)
    rows = (
        await session.exec(
            select(GroupMember, User)
            .join(User, col(User.id) == col(GroupMember.user_id))
            .where(GroupMember.group_id == group_id)
            .order_by(col(User.username))
        )
    ).all()
    items = [_member_public(m, u).model_dump(mode="json") for m, u in rows]
    return {
        "items": items,
        "pagination": {"page": 1, "perPage": len(items), "total": len(items), "totalPage": 1},
    }


@router.post(
    "/{group_id}/members",
    response_model=GroupMemberPublic,
    status_code=201,
    responses=errors(404, 409, 413),
)
async def add_member(
    group_id: PathId, body: GroupMemberAdd, principal: UserPrincipal, ctx: Ctx, session: Session
) -> GroupMemberPublic:
    group = await _managed_group(session, principal, group_id)
    if body.role == GroupRole.ADMIN and not principal.is_admin:
        raise ApiError(403, "only an administrator may make a group admin")
    if body.user_id is not None:
        user = await session.get(User, body.user_id)
    else:
        user = (await session.exec(select(User).where(User.username == body.username))).first()
    if user is None or user.id is None:
        raise not_found("user", body.user_id if body.user_id is not None else body.username)
    if await session.get(GroupMember, (group_id, user.id)) is not None:
        raise ApiError(409, f"{user.username} is already a member of {group.name}")
    member = GroupMember(group_id=group_id, user_id=user.id, role=body.role.value)
    session.add(member)
    await session.commit()
    _members_changed(ctx, group)
    return _member_public(member, user)


@router.put(
    "/{group_id}/members/{user_id}", response_model=GroupMemberPublic, responses=errors(404)
)
async def update_member(
    group_id: PathId,
    user_id: PathId,
    body: GroupMemberUpdate,
    _: AdminPrincipal,
    ctx: Ctx,
    session: Session,
) -> GroupMemberPublic:
    group = await _group(session, group_id)
    member, user = await _member(session, group_id, user_id)
    member.role = body.role.value
    member.updated_at = utcnow()
    session.add(member)
    await session.commit()
    _members_changed(ctx, group)
    return _member_public(member, user)


@router.delete("/{group_id}/members/{user_id}", status_code=204, responses=errors(404))
async def remove_member(
    group_id: PathId, user_id: PathId, principal: UserPrincipal, ctx: Ctx, session: Session
) -> None:
    group = await _managed_group(session, principal, group_id)
    member, _ = await _member(session, group_id, user_id)
    if (
        not principal.is_admin
        and member.role == GroupRole.ADMIN.value
        and user_id != principal.user_id
    ):
        raise ApiError(403, "only an administrator may remove a group admin")
    await session.delete(member)
    await session.commit()
    _members_changed(ctx, group)


def _member_public(member: GroupMember, user: User) -> GroupMemberPublic:
    return GroupMemberPublic(
        group_id=member.group_id,
        user_id=member.user_id,
        username=user.username,
        role=GroupRole(member.role),
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


def _members_changed(ctx: ServerContext, group: Group) -> None:
    assert group.id is not None
    ctx.publish(KIND, EventType.UPDATED, group.id, public(group), hint=MEMBERS_CHANGED)


async def _group(session: AsyncSession, group_id: int) -> Group:
    group = await session.get(Group, group_id)
    if group is None:
        raise not_found("group", group_id)
    return group


async def _managed_group(session: AsyncSession, principal: Principal, group_id: int) -> Group:
    """The group, for an administrator or one of its admins; 403 for anyone else."""
    if not principal.is_admin and not await admins_group(session, principal, group_id):
        raise ApiError(403, "administrator or group admin role required")
    return await _group(session, group_id)


async def _member(session: AsyncSession, group_id: int, user_id: int) -> tuple[GroupMember, User]:
    member = await session.get(GroupMember, (group_id, user_id))
    user = await session.get(User, user_id)
    if member is None or user is None:
        raise not_found("member", user_id)
    return member, user


async def _commit_unique(session: AsyncSession, name: str) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        raise ApiError(409, f"a group named {name!r} already exists") from exc
