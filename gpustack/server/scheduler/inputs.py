"""What the scheduler reads: frozen views of workers, the model to place and existing claims.

These types know nothing about the database; the server adapts its rows into them. Memory is
in bytes. A worker's `*_allocated` figures are memory held by anything *other than* the claims
passed beside it (for example processes started outside GPUStack); the scheduler adds those
claims on top, so an adapter must not count the same instance in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gpustack.engines.base import Category, ModelProfile, ResourceEstimate
from gpustack.schemas.models import PlacementStrategy
from gpustack.schemas.workers import WorkerState


@dataclass(frozen=True, slots=True)
class GpuView:
    """One accelerator of a worker."""

    index: int
    vram_total: int
    vram_allocated: int = 0
    # Lower-case vendor as workers report it: nvidia, amd, apple, ascend, ...
    vendor: str = "nvidia"
    name: str = ""


@dataclass(frozen=True, slots=True)
class WorkerView:
    """A worker as the scheduler sees it at one moment."""

    id: int
    name: str
    state: WorkerState
    ram_total: int
    ram_allocated: int = 0
    gpus: tuple[GpuView, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    # Platform in lower case as Python names it: linux, darwin, windows.
    os: str = "linux"
    arch: str = "x86_64"
    maintenance: bool = False
    # Keys (`PlacementSpec.model_key`) of models whose files are already on this worker's disk.
    downloaded_model_keys: frozenset[str] = frozenset()
    # Local model paths known to exist on this worker; None when the worker has not said.
    existing_paths: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class GpuSelector:
    """GPUs the user pinned and/or how many GPUs each replica takes.

    `gpu_ids` entries are `"worker-a:0"`, `"worker-a:cuda:0"` or a bare index `"0"` (that
    index on every worker).
    """

    gpu_ids: tuple[str, ...] = ()
    gpus_per_replica: int | None = None


@dataclass(frozen=True, slots=True)
class PlacementSpec:
    """The deployment to place, with everything placement depends on."""

    name: str
    backend: str
    profile: ModelProfile
    categories: tuple[Category, ...] = ()
    replicas: int = 1
    placement_strategy: PlacementStrategy = PlacementStrategy.SPREAD
    worker_selector: Mapping[str, str] = field(default_factory=dict)
    gpu_selector: GpuSelector | None = None
    # Allows partial offload (some layers in RAM) and CPU-only placement for GPU engines.
    cpu_offloading: bool = False
    distributed_inference_across_workers: bool = False
    backend_parameters: tuple[str, ...] = ()
    local_path: str | None = None
    # Identifies the model's files (source + repo/file or path) for the locality bonus.
    model_key: str = ""
    context_length: int | None = None
    # A claim the user states for engines that cannot price themselves (`custom`).
    claimed_ram_bytes: int | None = None
    claimed_vram_bytes_per_gpu: int | None = None


@dataclass(frozen=True, slots=True)
class InstanceClaim:
    """Memory an instance already placed holds on one worker.

    An instance spread across workers contributes one claim per worker it uses;
    `estimate.vram_bytes_per_gpu[i]` is held on GPU `gpu_indexes[i]`.
    """

    model_name: str
    worker_id: int
    gpu_indexes: tuple[int, ...]
    estimate: ResourceEstimate
    # False for the helper parts of a distributed instance; only main parts count as replicas.
    is_main: bool = True
