"""Database rows for scheduler tests: workers with reported GPUs, deployments, instances."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from gpustack.schemas.common import utcnow
from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.models import Model, ModelSpec
from gpustack.schemas.worker_status import (
    CPUInfo,
    GPUDevice,
    GPUMemoryInfo,
    GPUVendor,
    MemoryInfo,
    OperatingSystemInfo,
    WorkerStatus,
)
from gpustack.schemas.workers import Worker
from gpustack.server.context import ServerContext

GIB = 1024**3


def status(ram_gib: float = 64, *gpu_gib: float) -> dict[str, Any]:
    gpus = [
        GPUDevice(
            vendor=GPUVendor.NVIDIA,
            name="NVIDIA L4",
            index=i,
            uuid=f"GPU-{i}",
            memory=GPUMemoryInfo(total=int(g * GIB), used=GIB // 2),
            temperature=41.0,
        )
        for i, g in enumerate(gpu_gib)
    ]
    return WorkerStatus(
        cpu=CPUInfo(total=8),
        memory=MemoryInfo(total=int(ram_gib * GIB), used=0),
        os=OperatingSystemInfo(name="Ubuntu", version="22.04"),
        arch="x86_64",
        kernel="6.1.0",
        gpu_devices=gpus,
    ).model_dump(mode="json")


async def add_worker(ctx: ServerContext, name: str, *gpu_gib: float, ram_gib: float = 64) -> int:
    """A ready worker that heartbeats now, with one GPU per size given."""
    async with ctx.sessions() as session:
        worker = Worker(
            name=name,
            ip=f"10.0.0.{len(name)}",
            state="ready",
            status=status(ram_gib, *gpu_gib),
            heartbeat_time=utcnow(),
        )
        session.add(worker)
        await session.commit()
        assert worker.id is not None
        return worker.id


async def add_deployment(ctx: ServerContext, replicas: int = 1, **fields: Any) -> int:
    """A deployment with its `replicas` instances already created (pending)."""
    spec = ModelSpec.model_validate({"replicas": replicas, **fields})
    async with ctx.sessions() as session:
        model = Model(source=spec.source.value, name=spec.name)
        model.apply_spec(spec)
        session.add(model)
        await session.flush()
        assert model.id is not None
        session.add_all(
            ModelInstance(name=f"{spec.name}-{n}", model_id=model.id, model_name=spec.name)
            for n in range(replicas)
        )
        await session.commit()
        return model.id


async def instances_of(ctx: ServerContext, model_id: int) -> list[ModelInstance]:
    async with ctx.sessions() as session:
        query = select(ModelInstance).where(ModelInstance.model_id == model_id)
        return sorted((await session.exec(query)).all(), key=lambda i: i.name)
