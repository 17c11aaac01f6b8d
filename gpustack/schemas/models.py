"""Deployments ("models"): what to serve, from where, how many replicas and where to place them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field as SQLField

from gpustack.engines.base import Category
from gpustack.schemas.common import (
    INT64_MAX,
    DbId,
    NulFreeStr,
    TimestampColumns,
    TimestampFields,
    UtcDatetime,
)
from gpustack.schemas.cron import CronExpression
from gpustack.schemas.repo_ids import check_repo_id
from gpustack.schemas.request_logs import RequestLogSettings

# Bytes of RAM or VRAM a deployment claims instead of the estimate.
ClaimBytes = Annotated[int, Field(ge=0, le=INT64_MAX)]

# Names are the `model` field clients send: keep them URL-path safe (no slash, no spaces).
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"

MAX_CONCURRENT_REQUESTS = 1_000_000
MAX_QUEUE_LENGTH = 100_000
MAX_QUEUE_WAIT_S = 3600.0
_CONCURRENCY_DOC = (
    "Requests each instance serves at once; more wait in the queue. "
    "Default: the engine's own (llama.cpp --parallel, vLLM --max-num-seqs)."
)
_QUEUE_LENGTH_DOC = (
    "Requests that may wait for a free slot (0: none); one more is answered 429 "
    "queue_full. Default: 100."
)
_QUEUE_WAIT_DOC = (
    "Seconds a request may wait for a free slot before it is answered 429 "
    "queue_timeout. Default: 300."
)
_REQUEST_LOG_DOC = (
    'Request log: `{"enabled": true}` stores the request and response bodies of every '
    "inference call (admins read them at /v2/request-logs). Default: off."
)
_ACCESS_GROUPS_DOC = (
    "Ids of the groups whose members may see and call this deployment; empty: everyone. "
    "Others get 404 model_not_found, as if it did not exist."
)


MAX_REPLICAS = 1024
MAX_IDLE_TIMEOUT_S = 30 * 86400.0
MAX_WAKE_TIMEOUT_S = 86400.0
MAX_DRAIN_TIMEOUT_S = 3600.0
MAX_WINDOW_S = 7 * 86400.0
DEFAULT_WAKE_TIMEOUT_S = 600.0
DEFAULT_DRAIN_TIMEOUT_S = 30.0


class SourceKind(StrEnum):
    """The model sources a deployment may name (DESIGN §4 ``source``)."""

    HUGGINGFACE = "huggingface"
    MODEL_SCOPE = "model_scope"
    LOCAL_PATH = "local_path"


class PlacementStrategy(StrEnum):
    """`spread` keeps load even across workers; `binpack` fills workers before using new ones."""

    SPREAD = "spread"
    BINPACK = "binpack"


class ModelState(StrEnum):
    PENDING = "pending"
    PARTIAL = "partial"
    RUNNING = "running"
    ERROR = "error"
    # Scaled to zero after `idle_timeout` without a request; the next request wakes it.
    SLEEPING = "sleeping"


class LoadBalancing(StrEnum):
    """How the gateway picks an instance of a deployment for each request."""

    LEAST_OUTSTANDING = "least_outstanding"
    PREFIX_AFFINITY = "prefix_affinity"


class ScalingWindow(BaseModel):
    """From each time `cron` fires (UTC), for `duration` seconds, keep `min_replicas` up."""

    model_config = ConfigDict(extra="forbid")

    cron: CronExpression
    duration: float = Field(gt=0, le=MAX_WINDOW_S)
    min_replicas: int = Field(ge=0, le=MAX_REPLICAS)


class GPUSelector(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gpu_ids: list[str] = Field(default_factory=list, max_length=1024)
    gpus_per_replica: int | None = Field(default=None, ge=1, le=64)


class ModelSource(BaseModel):
    """Where the weights come from; which fields are required depends on `source`."""

    source: SourceKind
    huggingface_repo_id: NulFreeStr | None = Field(default=None, max_length=256)
    huggingface_filename: NulFreeStr | None = Field(default=None, max_length=512)
    model_scope_model_id: NulFreeStr | None = Field(default=None, max_length=256)
    model_scope_file_path: NulFreeStr | None = Field(default=None, max_length=512)
    local_path: NulFreeStr | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _require_source_fields(self) -> Self:
        if self.source is SourceKind.HUGGINGFACE:
            _require_repo_id(self.huggingface_repo_id, "huggingface_repo_id", "Qwen/Qwen3-8B")
        elif self.source is SourceKind.MODEL_SCOPE:
            _require_repo_id(self.model_scope_model_id, "model_scope_model_id", "Qwen/Qwen3-8B")
        elif not self.local_path or not self.local_path.startswith("/"):
            raise ValueError("source local_path needs local_path: an absolute path on the worker")
        return self

    def source_key(self) -> str:
        """A stable identity of the weights, used for caching and locality."""
        if self.source is SourceKind.HUGGINGFACE:
            return f"hf:{self.huggingface_repo_id}:{self.huggingface_filename or ''}"
        if self.source is SourceKind.MODEL_SCOPE:
            return f"ms:{self.model_scope_model_id}:{self.model_scope_file_path or ''}"
        return f"local:{self.local_path}"


def _require_repo_id(value: str | None, field: str, example: str) -> None:
    if not value:
        raise ValueError(f"this source needs {field}, e.g. {example!r}")
    check_repo_id(value, field, example)


class ModelSpec(ModelSource):
    """The user-editable part of a deployment."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=MODEL_NAME_PATTERN)
    description: NulFreeStr = Field(default="", max_length=4096)
    categories: list[Category] = Field(default_factory=list, max_length=6)
    backend: str | None = Field(default=None)
    backend_version: NulFreeStr | None = Field(default=None, max_length=64)
    backend_parameters: list[str] = Field(default_factory=list, max_length=256)
    backend_command: NulFreeStr | None = Field(default=None, max_length=8192)
    health_path: NulFreeStr | None = Field(default=None, max_length=256)
    resource_claim: dict[str, ClaimBytes] | None = None
    env: dict[str, str] = Field(default_factory=dict, max_length=256)
    replicas: int = Field(default=1, ge=0, le=1024)
    placement_strategy: PlacementStrategy = PlacementStrategy.SPREAD
    worker_selector: dict[str, str] = Field(default_factory=dict, max_length=64)
    gpu_selector: GPUSelector | None = None
    cpu_offloading: bool = True
    distributed_inference_across_workers: bool = False
    restart_on_error: bool = True
    # Admission in the gateway; None takes the default (the engine's own concurrency, and
    # the gateway's queue bounds). A change takes effect without restarting instances.
    max_concurrent_requests: int | None = Field(
        default=None, ge=1, le=MAX_CONCURRENT_REQUESTS, description=_CONCURRENCY_DOC
    )
    max_queue_length: int | None = Field(
        default=None, ge=0, le=MAX_QUEUE_LENGTH, description=_QUEUE_LENGTH_DOC
    )
    max_queue_wait: float | None = Field(
        default=None, ge=0, le=MAX_QUEUE_WAIT_S, description=_QUEUE_WAIT_DOC
    )
    request_log: RequestLogSettings | None = Field(default=None, description=_REQUEST_LOG_DOC)
    access_groups: list[DbId] = Field(
        default_factory=list, max_length=256, description=_ACCESS_GROUPS_DOC
    )
    min_replicas: int | None = Field(
        default=None, ge=0, le=MAX_REPLICAS, description="Autoscaling floor; 0 allows sleeping."
    )
    max_replicas: int | None = Field(
        default=None, ge=1, le=MAX_REPLICAS, description="Autoscaling ceiling."
    )
    idle_timeout: float | None = Field(
        default=None,
        gt=0,
        le=MAX_IDLE_TIMEOUT_S,
        description="Seconds without a request before a min_replicas 0 deployment sleeps.",
    )
    wake_timeout: float | None = Field(
        default=None,
        gt=0,
        le=MAX_WAKE_TIMEOUT_S,
        description="Seconds a request waits for a sleeping deployment to wake. Default: 600.",
    )
    target_outstanding_per_replica: float | None = Field(
        default=None,
        gt=0,
        le=MAX_CONCURRENT_REQUESTS,
        description="Requests in flight or queued per replica the autoscaler aims for.",
    )
    scaling_windows: list[ScalingWindow] = Field(default_factory=list, max_length=32)
    drain_timeout: float | None = Field(
        default=None,
        ge=0,
        le=MAX_DRAIN_TIMEOUT_S,
        description="Seconds a stopping instance may finish its requests. Default: 30.",
    )
    load_balancing: LoadBalancing | None = Field(
        default=None, description="Default: the gateway's (least_outstanding)."
    )

    @model_validator(mode="after")
    def _check_scaling(self) -> Self:
        low, high = self.min_replicas, self.max_replicas
        if low is not None and high is not None and low > high:
            raise ValueError("min_replicas must not exceed max_replicas")
        if self.idle_timeout is not None and low != 0:
            raise ValueError("idle_timeout needs min_replicas: 0 (a deployment that may sleep)")
        if self.target_outstanding_per_replica is not None and high is None:
            raise ValueError("target_outstanding_per_replica needs max_replicas")
        for window in self.scaling_windows:
            if high is not None and window.min_replicas > high:
                raise ValueError("a scaling window's min_replicas must not exceed max_replicas")
        return self

    @property
    def autoscaled(self) -> bool:
        """Whether the autoscaler, not `replicas`, decides the count."""
        return self.max_replicas is not None and self.target_outstanding_per_replica is not None

    @model_validator(mode="after")
    def _check_backend(self) -> Self:
        if self.backend is not None:
            # Imported here: the engine registry is heavier than the schemas that name it.
            from gpustack.engines.registry import default_registry

            known = sorted(default_registry())
            if self.backend not in known:
                raise ValueError(f"backend must be one of {', '.join(known)} (or omitted for auto)")
        if self.backend == "custom":
            if not self.backend_command or "{{port}}" not in self.backend_command:
                raise ValueError("backend custom needs backend_command containing {{port}}")
            if not self.categories:
                raise ValueError("backend custom needs categories (what the server answers)")
        elif self.backend_command:
            raise ValueError("backend_command is only used with backend custom")
        if self.gpu_selector and self.gpu_selector.gpu_ids:
            for gpu_id in self.gpu_selector.gpu_ids:
                worker, sep, index = gpu_id.rpartition(":")
                if not sep or not worker or not index.isdigit():
                    raise ValueError(f"gpu_ids entries look like 'worker-name:0', got {gpu_id!r}")
        return self


_SPEC_FIELDS = tuple(ModelSpec.model_fields)


def example_spec() -> dict[str, Any]:
    """A deployment that validates: the OpenAPI shows it, and API fuzzing starts from it."""
    return {
        "name": "smollm2-135m",
        "source": "local_path",
        "local_path": "/models/SmolLM2-135M-Instruct-Q4_1.gguf",
        "replicas": 1,
    }


class ModelUpdate(BaseModel):
    """A partial update: only the given fields change; the whole result is re-validated."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, pattern=MODEL_NAME_PATTERN)
    description: str | None = None
    categories: list[Category] | None = None
    backend: str | None = None
    backend_version: str | None = None
    backend_parameters: list[str] | None = None
    backend_command: str | None = None
    health_path: str | None = None
    resource_claim: dict[str, ClaimBytes] | None = None
    env: dict[str, str] | None = None
    replicas: int | None = Field(default=None, ge=0, le=1024)
    placement_strategy: PlacementStrategy | None = None
    worker_selector: dict[str, str] | None = None
    gpu_selector: GPUSelector | None = None
    cpu_offloading: bool | None = None
    distributed_inference_across_workers: bool | None = None
    restart_on_error: bool | None = None
    max_concurrent_requests: int | None = Field(
        default=None, ge=1, le=MAX_CONCURRENT_REQUESTS, description=_CONCURRENCY_DOC
    )
    max_queue_length: int | None = Field(
        default=None, ge=0, le=MAX_QUEUE_LENGTH, description=_QUEUE_LENGTH_DOC
    )
    max_queue_wait: float | None = Field(
        default=None, ge=0, le=MAX_QUEUE_WAIT_S, description=_QUEUE_WAIT_DOC
    )
    request_log: RequestLogSettings | None = Field(default=None, description=_REQUEST_LOG_DOC)
    access_groups: list[DbId] | None = Field(
        default=None, max_length=256, description=_ACCESS_GROUPS_DOC
    )
    min_replicas: int | None = Field(default=None, ge=0, le=MAX_REPLICAS)
    max_replicas: int | None = Field(default=None, ge=1, le=MAX_REPLICAS)
    idle_timeout: float | None = Field(default=None, gt=0, le=MAX_IDLE_TIMEOUT_S)
    wake_timeout: float | None = Field(default=None, gt=0, le=MAX_WAKE_TIMEOUT_S)
    target_outstanding_per_replica: float | None = Field(
        default=None, gt=0, le=MAX_CONCURRENT_REQUESTS
    )
    scaling_windows: list[ScalingWindow] | None = Field(default=None, max_length=32)
    drain_timeout: float | None = Field(default=None, ge=0, le=MAX_DRAIN_TIMEOUT_S)
    load_balancing: LoadBalancing | None = None
    source: SourceKind | None = None
    huggingface_repo_id: str | None = None
    huggingface_filename: str | None = None
    model_scope_model_id: str | None = None
    model_scope_file_path: str | None = None
    local_path: str | None = None


class Model(TimestampColumns, table=True):
    __tablename__ = "models"

    id: int | None = SQLField(default=None, primary_key=True)
    name: str = SQLField(index=True, unique=True, max_length=128)
    description: str = ""
    source: str = SQLField(max_length=32)
    huggingface_repo_id: str | None = None
    huggingface_filename: str | None = None
    model_scope_model_id: str | None = None
    model_scope_file_path: str | None = None
    local_path: str | None = None
    categories: list[str] = SQLField(default_factory=list, sa_column=Column(JSON))
    backend: str | None = None
    backend_version: str | None = None
    backend_parameters: list[str] = SQLField(default_factory=list, sa_column=Column(JSON))
    backend_command: str | None = None
    health_path: str | None = None
    resource_claim: dict[str, int] | None = SQLField(default=None, sa_column=Column(JSON))
    env: dict[str, str] = SQLField(default_factory=dict, sa_column=Column(JSON))
    replicas: int = 1
    placement_strategy: str = PlacementStrategy.SPREAD.value
    worker_selector: dict[str, str] = SQLField(default_factory=dict, sa_column=Column(JSON))
    gpu_selector: dict[str, Any] | None = SQLField(default=None, sa_column=Column(JSON))
    cpu_offloading: bool = True
    distributed_inference_across_workers: bool = False
    restart_on_error: bool = True
    max_concurrent_requests: int | None = None
    max_queue_length: int | None = None
    max_queue_wait: float | None = None
    request_log: dict[str, Any] | None = SQLField(default=None, sa_column=Column(JSON))
    # Group ids whose members may call it; empty: everyone.
    access_groups: list[int] = SQLField(default_factory=list, sa_column=Column(JSON))
    min_replicas: int | None = None
    max_replicas: int | None = None
    idle_timeout: float | None = None
    wake_timeout: float | None = None
    target_outstanding_per_replica: float | None = None
    scaling_windows: list[dict[str, Any]] = SQLField(default_factory=list, sa_column=Column(JSON))
    drain_timeout: float | None = None
    load_balancing: str | None = None
    # Elastic state, kept by the leader and the gateway (not part of the spec).
    asleep: bool = False
    # Being deleted: its instances drain, none is replaced or revived.
    deleting: bool = False
    autoscaled_replicas: int | None = None
    last_request_at: datetime | None = SQLField(default=None, sa_type=DateTime)
    state: str = ModelState.PENDING.value
    state_message: str = ""
    ready_replicas: int = 0
    # What analysis read from the files: capabilities, context_length, format, size.
    meta: dict[str, Any] | None = SQLField(default=None, sa_column=Column(JSON))

    def spec(self) -> ModelSpec:
        return ModelSpec.model_validate({f: getattr(self, f) for f in _SPEC_FIELDS})

    def apply_spec(self, spec: ModelSpec) -> None:
        for field, value in spec.model_dump(mode="json").items():
            setattr(self, field, value)


class ModelPublic(ModelSpec, TimestampFields):
    model_config = ConfigDict(extra="ignore")

    id: int
    state: ModelState
    state_message: str
    ready_replicas: int
    meta: dict[str, Any] | None = None
    # When the gateway last saw a request for it (flushed every few seconds).
    last_request_at: UtcDatetime | None = None
    # The count the autoscaler chose (None: not autoscaled, `replicas` applies).
    autoscaled_replicas: int | None = None
