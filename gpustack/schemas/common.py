"""Types shared by every resource: timestamps and list pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints
from sqlalchemy import DateTime
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel


def utcnow() -> datetime:
    """Naive UTC: what both SQLite and PostgreSQL columns store here."""
    return datetime.now(UTC).replace(tzinfo=None)


def _as_utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[datetime, PlainSerializer(_as_utc_iso, return_type=str)]


class TimestampColumns(SQLModel):
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=DateTime, nullable=False)
    updated_at: datetime = SQLField(default_factory=utcnow, sa_type=DateTime, nullable=False)


class TimestampFields(BaseModel):
    created_at: UtcDatetime
    updated_at: UtcDatetime


class Pagination(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    page: int
    per_page: int = Field(alias="perPage")
    total: int
    total_page: int = Field(alias="totalPage")


# The largest value an INTEGER column holds on every supported database: PostgreSQL's is
# 32-bit, so anything bigger that reaches a query fails in the driver instead of matching nothing.
DB_INT_MAX = 2**31 - 1
# What a JSON column or a 64-bit counter holds (bytes, token counts).
INT64_MAX = 2**63 - 1

# Text stored in a column or searched for: PostgreSQL text cannot hold NUL and its driver
# fails on one, so refuse it as invalid input.
NO_NUL_PATTERN = r"^[^\x00]*$"
NulFreeStr = Annotated[str, StringConstraints(pattern=NO_NUL_PATTERN)]

# A row id sent in a body: ids start at 1 and fit the column.
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
# A non-negative count or limit stored in an INTEGER column.
DbCount = Annotated[int, Field(ge=0, le=DB_INT_MAX)]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """The list shape of every /v2 collection."""

    items: list[T]
    pagination: Pagination


class ErrorBody(BaseModel):
    """Every /v2 and /auth error: the HTTP status, its phrase and a human message."""

    code: int
    reason: str
    message: str
