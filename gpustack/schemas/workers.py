"""Workers: machines that run engines; they register, heartbeat and report their status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field as SQLField

from gpustack.schemas.common import NulFreeStr, TimestampColumns, TimestampFields, UtcDatetime


class WorkerState(StrEnum):
    READY = "ready"
    NOT_READY = "not_ready"
    UNREACHABLE = "unreachable"
    MAINTENANCE = "maintenance"


class Worker(TimestampColumns, table=True):
    __tablename__ = "workers"

    id: int | None = SQLField(default=None, primary_key=True)
    name: str = SQLField(index=True, unique=True, max_length=128)
    ip: str = ""
    port: int = 10150
    state: str = WorkerState.NOT_READY.value
    state_message: str = ""
    labels: dict[str, str] = SQLField(default_factory=dict, sa_column=Column(JSON))
    maintenance: bool = False
    status: dict[str, Any] | None = SQLField(default=None, sa_column=Column(JSON))
    heartbeat_time: datetime | None = SQLField(default=None, sa_type=DateTime)
    # salted SHA-256 of the per-worker token (the token itself lives only on the worker).
    token_salt: str = ""
    token_digest: str = ""


class WorkerPublic(TimestampFields):
    id: int
    name: str
    ip: str
    port: int
    state: WorkerState
    state_message: str
    labels: dict[str, str]
    maintenance: bool
    status: dict[str, Any] | None
    heartbeat_time: UtcDatetime | None


class WorkerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: dict[str, str] | None = Field(default=None, max_length=64)
    maintenance: bool | None = None


# The header a re-registering worker sends its own token in, beside the cluster token.
WORKER_TOKEN_HEADER = "X-GPUStack-Worker-Token"


class WorkerRegistration(BaseModel):
    """Sent by a worker with the cluster token; answered with its own worker token.

    A name already registered is granted only to a caller that also sends that worker's
    token (in `WORKER_TOKEN_HEADER`).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    ip: NulFreeStr = Field(max_length=64)
    port: int = Field(ge=1, le=65535)
    labels: dict[str, str] = Field(default_factory=dict, max_length=64)
    status: dict[str, Any] | None = None


class WorkerRegistered(BaseModel):
    id: int
    name: str
    token: str
    # What the server presents to this worker's API: valid on this worker only.
    worker_api_token: str
