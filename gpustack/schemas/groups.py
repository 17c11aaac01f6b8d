"""Groups (teams): members with a role, shared limits, and deployments limited to them."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Field as SQLField

from gpustack.schemas.common import (
    DB_INT_MAX,
    DbId,
    NulFreeStr,
    TimestampColumns,
    TimestampFields,
)

GROUP_NAME_PATTERN = r"^[^\x00-\x1f]{1,64}$"


class GroupRole(StrEnum):
    """A member's role inside one group: an admin manages its members and their keys."""

    MEMBER = "member"
    ADMIN = "admin"


class Group(TimestampColumns, table=True):
    __tablename__ = "groups"

    id: int | None = SQLField(default=None, primary_key=True)
    name: str = SQLField(index=True, unique=True, max_length=64)
    description: str = SQLField(default="", max_length=1024)
    # Shared by every key of every member; None means unlimited.
    rpm_limit: int | None = None
    rpd_limit: int | None = None
    tpm_limit: int | None = None
    tpd_limit: int | None = None


class GroupMember(TimestampColumns, table=True):
    __tablename__ = "group_members"

    group_id: int = SQLField(foreign_key="groups.id", primary_key=True, ondelete="CASCADE")
    user_id: int = SQLField(
        foreign_key="users.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    role: str = SQLField(default=GroupRole.MEMBER.value, max_length=16)


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=GROUP_NAME_PATTERN)
    description: NulFreeStr = Field(default="", max_length=1024)
    rpm_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    rpd_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    tpm_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    tpd_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)


class GroupUpdate(BaseModel):
    """Only the fields sent change; null clears a limit."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, pattern=GROUP_NAME_PATTERN)
    description: NulFreeStr | None = Field(default=None, max_length=1024)
    rpm_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    rpd_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    tpm_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    tpd_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)


class GroupPublic(TimestampFields):
    id: int
    name: str
    description: str
    rpm_limit: int | None
    rpd_limit: int | None
    tpm_limit: int | None
    tpd_limit: int | None


class GroupMemberAdd(BaseModel):
    """Who joins: by user id or by username (a group admin may not list users)."""

    model_config = ConfigDict(extra="forbid")

    user_id: DbId | None = None
    username: str | None = Field(default=None, max_length=64)
    role: GroupRole = GroupRole.MEMBER

    @model_validator(mode="after")
    def _one_user(self) -> Self:
        if (self.user_id is None) == (self.username is None):
            raise ValueError("give exactly one of user_id and username")
        return self


class GroupMemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: GroupRole


class GroupMemberPublic(TimestampFields):
    group_id: int
    user_id: int
    username: str
    role: GroupRole
