"""API keys: `gpustack_<access>_<secret>`; only the access part and hashes are stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import MISSING, BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field as SQLField

from gpustack.schemas.common import (
    DB_INT_MAX,
    DbId,
    NulFreeStr,
    TimestampColumns,
    TimestampFields,
    UtcDatetime,
)


class KeyScope(StrEnum):
    """What an API key may call. Session cookies act with scope ALL."""

    ALL = "*"
    MANAGEMENT = "management"
    INFERENCE = "inference"


class ApiKey(TimestampColumns, table=True):
    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_api_keys_user_name"),)

    id: int | None = SQLField(default=None, primary_key=True)
    user_id: int = SQLField(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = SQLField(max_length=64)
    description: str = SQLField(default="", max_length=1024)
    access_key: str = SQLField(index=True, unique=True, max_length=32)
    # argon2 of the secret: the durable proof; never used on the request path.
    hashed_secret: str
    # salted SHA-256 of the secret: cheap to check on every request.
    secret_salt: str
    secret_digest: str
    scope: str = SQLField(default=KeyScope.ALL.value, max_length=16)
    allowed_model_names: list[str] | None = SQLField(default=None, sa_column=Column(JSON))
    expires_at: datetime | None = SQLField(default=None, sa_type=DateTime)
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    tpd_limit: int | None = None
    last_used_at: datetime | None = SQLField(default=None, sa_type=DateTime)
    # Store the bodies of this key's inference calls in the request log.
    request_log: bool = False
    # A disabled key is refused like an unknown one until it is enabled again.
    is_active: bool = True
    # Who disabled it when not its owner: then only a manager (an administrator, or an admin
    # of a group of the owner) may enable it again.
    disabled_by: int | None = None


NAME_PATTERN = r"^[^\x00-\x1f]{1,64}$"


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # For another user: administrators, and group admins for their groups' members.
    user_id: DbId | None = None
    name: str = Field(pattern=NAME_PATTERN)
    description: NulFreeStr = Field(default="", max_length=1024)
    expires_in: int | None = Field(default=None, ge=60, le=10 * 365 * 86400)
    scope: KeyScope = KeyScope.ALL
    allowed_model_names: list[str] | None = Field(default=None, max_length=1000)
    rpm_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    tpm_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    tpd_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    request_log: bool = False


class ApiKeyUpdate(BaseModel):
    """Only the fields sent change. Null clears what may be empty (limits, allowed models: no
    limit, every model) and is refused for what may not (description, scope)."""

    model_config = ConfigDict(extra="forbid")

    description: NulFreeStr | MISSING = Field(default=MISSING, max_length=1024)
    scope: KeyScope | MISSING = MISSING
    allowed_model_names: list[str] | None = Field(default=None, max_length=1000)
    rpm_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    tpm_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    tpd_limit: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    request_log: bool | MISSING = MISSING
    is_active: bool | MISSING = MISSING
    # Null: never expires.
    expires_at: UtcDatetime | None = None


class ApiKeyPublic(TimestampFields):
    id: int
    user_id: int
    name: str
    description: str
    masked_value: str
    scope: KeyScope
    allowed_model_names: list[str] | None
    expires_at: UtcDatetime | None
    rpm_limit: int | None
    tpm_limit: int | None
    tpd_limit: int | None
    last_used_at: UtcDatetime | None
    request_log: bool = False
    is_active: bool


class ApiKeyCreated(ApiKeyPublic):
    """Returned once, at creation: the only time the full key leaves the server."""

    value: str
