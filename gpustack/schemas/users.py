"""Users: the people (and their roles) who log in and own API keys."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Field as SQLField

from gpustack.schemas.common import NulFreeStr, TimestampColumns, TimestampFields

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
# The stored "hash" of users who sign in elsewhere: argon2 never accepts it.
NO_PASSWORD = "!external"


class UserSource(StrEnum):
    """Where a user proves who they are: our own password, an OIDC provider or LDAP."""

    LOCAL = "local"
    OIDC = "oidc"
    LDAP = "ldap"


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
    source: str = SQLField(default=UserSource.LOCAL.value, max_length=16)
    # The identity at the source: "<issuer> <sub>" for OIDC, the entry's DN for LDAP.
    external_id: str | None = SQLField(default=None, index=True, max_length=1024)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    # Only local users have a password here; the others are pre-created for their sign-in.
    password: str | None = Field(default=None, min_length=1, max_length=256)
    full_name: NulFreeStr = Field(default="", max_length=255)
    is_admin: bool = False
    is_active: bool = True
    source: UserSource = UserSource.LOCAL

    @model_validator(mode="after")
    def _password_for_local_only(self) -> UserCreate:
        if self.source is UserSource.LOCAL and self.password is None:
            raise ValueError("a local user needs a password")
        if self.source is not UserSource.LOCAL and self.password is not None:
            raise ValueError(f"a {self.source.value} user has no password here")
        return self


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
    source: UserSource
    external_id: str | None


class PasswordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)
