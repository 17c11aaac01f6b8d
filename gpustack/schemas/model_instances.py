"""Model instances: one replica of a deployment, placed on a worker, run by one engine process."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field as SQLField

from gpustack.schemas.common import DbCount, TimestampColumns, TimestampFields, UtcDatetime


class InstanceState(StrEnum):
    PENDING = "pending"
    ANALYZING = "analyzing"
    SCHEDULED = "scheduled"
    INITIALIZING = "initializing"
    DOWNLOADING = "downloading"
    # Installing the engine version the deployment pins (first use on this worker).
    INSTALLING = "installing"
    STARTING = "starting"
    RUNNING = "running"
    ERROR = "error"
    UNREACHABLE = "unreachable"


# States in which an instance holds (or is about to hold) resources on its worker.
PLACED_STATES = frozenset(
    {
        InstanceState.SCHEDULED,
        InstanceState.INITIALIZING,
        InstanceState.DOWNLOADING,
        InstanceState.INSTALLING,
        InstanceState.STARTING,
        InstanceState.RUNNING,
        InstanceState.ERROR,
        InstanceState.UNREACHABLE,
    }
)


class ResourceClaim(BaseModel):
    """Memory an instance claims: RAM bytes and VRAM bytes per GPU index."""

    ram: int = 0
    vram: dict[str, int] = {}
    offload_layers: int | None = None


class SubordinateState(StrEnum):
    """Where the part of an instance on another worker (llama.cpp's rpc-server) stands."""

    PENDING = "pending"
    STARTING = "starting"
    RUNNING = "running"
    ERROR = "error"


class SubordinateWorker(BaseModel):
    """One helper worker of an instance spread across workers, with its own state.

    `port` is the rpc-server's, chosen and reported by that worker; the main engine is
    started with every subordinate's `worker_ip:port`.
    """

    worker_id: int
    worker_name: str
    worker_ip: str | None = None
    gpu_indexes: list[int] = []
    port: int | None = None
    state: SubordinateState = SubordinateState.PENDING
    state_message: str = ""
    restart_count: int = 0


class ModelInstance(TimestampColumns, table=True):
    __tablename__ = "model_instances"

    id: int | None = SQLField(default=None, primary_key=True)
    name: str = SQLField(max_length=200)
    model_id: int = SQLField(foreign_key="models.id", index=True, ondelete="CASCADE")
    model_name: str = SQLField(max_length=128)
    worker_id: int | None = SQLField(default=None, foreign_key="workers.id", index=True)
    worker_name: str | None = None
    worker_ip: str | None = None
    port: int | None = None
    gpu_indexes: list[int] = SQLField(default_factory=list, sa_column=Column(JSON))
    computed_resource_claim: dict[str, Any] | None = SQLField(default=None, sa_column=Column(JSON))
    state: str = SQLField(default=InstanceState.PENDING.value, index=True)
    state_message: str = ""
    download_progress: float = 0.0
    restart_count: int = 0
    resolved_path: str | None = None
    # What the scheduler decided, so the worker launches exactly that and the gateway knows
    # whose quirks to expect. None until placed.
    backend: str | None = SQLField(default=None, max_length=64)
    backend_version: str | None = SQLField(default=None, max_length=64)
    categories: list[str] | None = SQLField(default=None, sa_column=Column(JSON))
    context_length: int | None = None
    # Set when it is to stop: the gateway routes nothing new to it, and the leader deletes it
    # once its requests have finished (or the deployment's drain_timeout has passed).
    draining_since: datetime | None = SQLField(default=None, sa_type=DateTime)
    # `SubordinateWorker`s as JSON; None or [] when the instance runs on one worker.
    subordinate_workers: list[dict[str, Any]] | None = SQLField(
        default=None, sa_column=Column(JSON)
    )

    def release(self, message: str) -> None:
        """Unassign from its worker and go back to pending, so the scheduler places it anew."""
        self.worker_id = None
        self.worker_name = self.worker_ip = None
        self.port = None
        self.gpu_indexes = []
        self.computed_resource_claim = None
        self.backend = self.backend_version = None
        self.categories = None
        self.context_length = None
        self.subordinate_workers = None
        self.state = InstanceState.PENDING.value
        self.state_message = message
        self.download_progress = 0.0


class ModelInstancePublic(TimestampFields):
    id: int
    name: str
    model_id: int
    model_name: str
    worker_id: int | None
    worker_name: str | None
    worker_ip: str | None
    port: int | None
    gpu_indexes: list[int]
    computed_resource_claim: ResourceClaim | None
    state: InstanceState
    state_message: str
    download_progress: float
    restart_count: int
    backend: str | None = None
    backend_version: str | None = None
    categories: list[str] | None = None
    context_length: int | None = None
    draining_since: UtcDatetime | None = None
    subordinate_workers: list[SubordinateWorker] | None = None


class SubordinateStatusUpdate(BaseModel):
    """What a subordinate worker reports about its part of an instance (its rpc-server)."""

    state: SubordinateState
    state_message: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    restart_count: DbCount | None = None


class InstanceStatusUpdate(BaseModel):
    """What a worker reports about an instance it runs."""

    state: InstanceState
    state_message: str = ""
    download_progress: float | None = Field(default=None, ge=0.0, le=100.0)
    restart_count: DbCount | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    resolved_path: str | None = None
