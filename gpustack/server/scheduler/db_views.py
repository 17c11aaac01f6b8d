"""Database rows → the scheduler's frozen views, and placements → instance columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from gpustack.engines.base import Category, ModelProfile, ResourceEstimate
from gpustack.schemas.model_instances import (
    PLACED_STATES,
    InstanceState,
    ModelInstance,
    ResourceClaim,
    SubordinateWorker,
)
from gpustack.schemas.models import ModelSpec
from gpustack.schemas.worker_status import WorkerStatus
from gpustack.schemas.workers import Worker, WorkerState
from gpustack.server.scheduler.inputs import (
    GpuSelector,
    GpuView,
    InstanceClaim,
    PlacementSpec,
    WorkerView,
)
from gpustack.server.scheduler.results import EngineDecision, Placement

# Where a distributed instance keeps the parts on helper workers, beside ram/vram.
HELPERS_KEY = "helpers"


def worker_status(worker: Worker) -> WorkerStatus | None:
    """The worker's last reported status; None when absent or not in the expected shape."""
    if not worker.status:
        return None
    try:
        return WorkerStatus.model_validate(worker.status)
    except ValidationError:
        return None


def worker_view(worker: Worker, downloaded_keys: Iterable[str] = ()) -> WorkerView:
    """A worker as the scheduler sees it; one that never reported a status offers nothing."""
    assert worker.id is not None
    status = worker_status(worker)
    try:
        state = WorkerState(worker.state)
    except ValueError:
        state = WorkerState.NOT_READY
    labels = dict(worker.labels or {})
    if status is None:
        # Nothing reported yet: no capacity, so filters explain it as not ready.
        if state == WorkerState.READY:
            state = WorkerState.NOT_READY
        return WorkerView(
            worker.id, worker.name, state, 0, labels=labels, maintenance=worker.maintenance
        )
    os_name, arch = _platform(status), status.arch
    # Selectors may name the platform like any other label; the worker's own labels win.
    labels.setdefault("os", os_name)
    labels.setdefault("arch", arch)
    gpus = tuple(
        GpuView(g.index, g.memory.total, 0, g.vendor.value, g.name) for g in status.gpu_devices
    )
    return WorkerView(
        id=worker.id,
        name=worker.name,
        state=state,
        ram_total=status.memory.total,
        gpus=gpus,
        labels=labels,
        os=os_name,
        arch=arch,
        maintenance=worker.maintenance,
        downloaded_model_keys=frozenset(downloaded_keys),
    )


def _platform(status: WorkerStatus) -> str:
    text = f"{status.os.name} {status.kernel}".lower()
    if "darwin" in text or "macos" in text:
        return "darwin"
    if "windows" in text:
        return "windows"
    return "linux"


def holds_resources(instance: ModelInstance) -> bool:
    return instance.worker_id is not None and instance.state in PLACED_STATES


def instance_claims(instance: ModelInstance) -> list[InstanceClaim]:
    """The memory a placed instance holds, one claim per worker it uses."""
    if instance.worker_id is None:
        return []
    raw = instance.computed_resource_claim or {}
    main = _claim(instance.model_name, instance.worker_id, instance.gpu_indexes, raw, True)
    helpers = raw.get(HELPERS_KEY) or []
    return [main] + [
        _claim(instance.model_name, int(h["worker_id"]), h.get("gpu_indexes") or [], h, False)
        for h in helpers
        if isinstance(h, dict) and "worker_id" in h
    ]


def _claim(
    model_name: str, worker_id: int, indexes: list[int], raw: Mapping[str, Any], is_main: bool
) -> InstanceClaim:
    try:
        claim = ResourceClaim.model_validate(raw)
    except ValidationError:
        claim = ResourceClaim()
    vram = tuple(claim.vram.get(str(i), 0) for i in indexes)
    estimate = ResourceEstimate(claim.ram, vram, claim.offload_layers)
    return InstanceClaim(model_name, worker_id, tuple(indexes), estimate, is_main)


def claim_json(estimate: ResourceEstimate, indexes: tuple[int, ...]) -> dict[str, Any]:
    """`ResourceClaim` as stored: VRAM keyed by GPU index."""
    vram = {str(i): b for i, b in zip(indexes, estimate.vram_bytes_per_gpu, strict=False)}
    return ResourceClaim(
        ram=estimate.ram_bytes, vram=vram, offload_layers=estimate.offload_layers
    ).model_dump(mode="json")


def assign(
    instance: ModelInstance,
    placement: Placement,
    worker_ip: str | None,
    engine: EngineDecision,
    ips: Mapping[int, str] | None = None,
) -> None:
    """Write a placement and the engine decided for it onto an instance row.

    The caller commits and publishes; the worker then launches exactly this. Each helper
    worker becomes a subordinate part with its own state, `pending` until its worker
    reports it (`ips` gives their addresses).
    """
    claim = claim_json(placement.claim, placement.gpu_indexes)
    claim["offload_layers"] = placement.offload_layers
    if placement.helpers:
        claim[HELPERS_KEY] = [
            {"worker_id": h.worker_id, "worker_name": h.worker_name}
            | {"gpu_indexes": list(h.gpu_indexes)}
            | claim_json(h.claim, h.gpu_indexes)
            for h in placement.helpers
        ]
    instance.worker_id = placement.worker_id
    instance.worker_name = placement.worker_name
    instance.worker_ip = worker_ip
    instance.gpu_indexes = list(placement.gpu_indexes)
    instance.computed_resource_claim = claim
    instance.backend = engine.backend
    instance.backend_version = engine.backend_version
    instance.categories = list(engine.categories)
    instance.context_length = placement.claim.context_length
    instance.subordinate_workers = [
        SubordinateWorker(
            worker_id=h.worker_id,
            worker_name=h.worker_name,
            worker_ip=(ips or {}).get(h.worker_id),
            gpu_indexes=list(h.gpu_indexes),
        ).model_dump(mode="json")
        for h in placement.helpers
    ] or None
    instance.state = InstanceState.SCHEDULED.value
    instance.state_message = placement.describe()


def scheduler_spec(spec: ModelSpec, profile: ModelProfile, backend: str) -> PlacementSpec:
    """The deployment in the scheduler's terms."""
    selector = spec.gpu_selector
    claimed = spec.resource_claim or {}
    categories = tuple(Category(c) for c in spec.categories) or profile.categories
    return PlacementSpec(
        name=spec.name,
        backend=backend,
        profile=profile,
        categories=categories,
        replicas=spec.replicas,
        placement_strategy=spec.placement_strategy,
        worker_selector=dict(spec.worker_selector),
        gpu_selector=(
            GpuSelector(tuple(selector.gpu_ids), selector.gpus_per_replica) if selector else None
        ),
        cpu_offloading=spec.cpu_offloading,
        distributed_inference_across_workers=spec.distributed_inference_across_workers,
        backend_parameters=tuple(spec.backend_parameters),
        local_path=spec.local_path,
        model_key=spec.source_key(),
        claimed_ram_bytes=claimed.get("ram"),
        claimed_vram_bytes_per_gpu=claimed.get("vram"),
    )
