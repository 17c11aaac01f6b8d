"""Inference usage: one row per gateway request, and a per-day rollup for dashboards."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


class UsageRecordRow(SQLModel, table=True):
    """One request through `/v1`. Ids are kept as plain integers (no foreign keys) so the
    history survives deleting a model, key or user."""

    __tablename__ = "usage_records"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=DateTime, index=True)
    user_id: int = Field(index=True)
    api_key_id: int | None = Field(default=None, index=True)
    model_id: int | None = Field(default=None, index=True)
    model_name: str = Field(max_length=128)
    operation: str = Field(max_length=32)
    instance_id: int | None = None
    status_code: int
    stream: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    duration_ms: float = 0.0
    ttft_ms: float | None = None


class UsageDaily(SQLModel, table=True):
    """Sums per UTC day, user, key, model and operation. `api_key_id` 0 means a session
    (no key) and `model_id` 0 an unknown model: the unique key needs non-null columns."""

    __tablename__ = "usage_daily"
    __table_args__ = (
        UniqueConstraint(
            "day", "user_id", "api_key_id", "model_id", "operation", name="uq_usage_daily_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(sa_type=Date, index=True)
    user_id: int = Field(index=True)
    api_key_id: int = 0
    model_id: int = Field(default=0, index=True)
    model_name: str = Field(max_length=128)
    operation: str = Field(max_length=32)
    request_count: int = 0
    error_count: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
