"""Users: the people (and their roles) who log in and own API keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Field as SQLField

from gpustack.schemas.common import NulFreeStr, TimestampColumns, TimestampFields

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


class User(TimestampColumns, table=True):
    __tablename__ = "users"

    id: int | None = SQLField(default=None, primary_key=True)
    username: str = SQLField(index=True, unique=True, max_length=64)
    full_name: str = SQLField(default="", max_length=255)
    hashed_password: str
    is_admin: bool = False
    is_active: bool = True
    require_password_change: bool = False
    # In every session cookie; bumped to end all of the user's sessions (never public).
    session_generation: int = 0


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=1, max_length=256)
    full_name: NulFreeStr = Field(default="", max_length=255)
    is_admin: bool = False
    is_active: bool = True


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: NulFreeStr | None = Field(default=None, max_length=255)
    is_admin: bool | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=256)


class UserPublic(TimestampFields):
    id: int
    username: str
    full_name: str
    is_admin: bool
    is_active: bool
    require_password_change: bool


class PasswordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)
