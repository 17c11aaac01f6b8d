"""Audit log: one row per management write — who, what, when, from where, which fields changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from gpustack.schemas.common import UtcDatetime


class AuditLog(SQLModel, table=True):
    """Ids are plain values (no foreign keys): the trail outlives the users and resources."""

    __tablename__ = "audit_logs"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=DateTime, index=True)
    actor_user_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=64, index=True)
    api_key_id: int | None = None
    api_key_name: str | None = Field(default=None, max_length=64)
    client_ip: str = Field(default="", max_length=64)
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    action: str = Field(max_length=32)
    resource_kind: str = Field(max_length=32, index=True)
    resource_id: str | None = Field(default=None, max_length=64, index=True)
    # {"field": {"before": ..., "after": ...}} for the fields that changed, secrets redacted.
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class AuditLogPublic(BaseModel):
    id: int
    created_at: UtcDatetime
    actor_user_id: int | None
    actor_name: str
    api_key_id: int | None
    api_key_name: str | None
    client_ip: str
    method: str
    path: str
    action: str
    resource_kind: str
    resource_id: str | None
    changes: dict[str, Any]
