"""Request log: the bodies of inference requests and answers, for deployments or keys that ask."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, Text
from sqlmodel import Field, SQLModel

from gpustack.schemas.common import UtcDatetime


class RequestLogSettings(BaseModel):
    """`request_log` of a deployment: off unless enabled."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False


class RequestLog(SQLModel, table=True):
    """One logged request; bodies are cut to the server's `request_log_max_body` bytes."""

    __tablename__ = "request_logs"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=DateTime, index=True)
    user_id: int
    api_key_id: int | None = Field(default=None, index=True)
    model_id: int | None = Field(default=None, index=True)
    model_name: str = Field(max_length=128, index=True)
    operation: str = Field(max_length=32)
    status_code: int
    stream: bool = False
    duration_ms: float = 0.0
    request_body: str = Field(default="", sa_type=Text)
    response_body: str = Field(default="", sa_type=Text)
    truncated: bool = False
    # Bytes of both bodies as stored: the total size cap sums this column.
    size: int = 0


class RequestLogPublic(BaseModel):
    id: int
    created_at: UtcDatetime
    user_id: int
    api_key_id: int | None
    model_id: int | None
    model_name: str
    operation: str
    status_code: int
    stream: bool
    duration_ms: float
    request_body: str
    response_body: str
    truncated: bool
    size: int
