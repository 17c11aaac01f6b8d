"""Types shared by every resource: timestamps and list pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
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


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """The list shape of every /v2 collection."""

    items: list[T]
    pagination: Pagination
