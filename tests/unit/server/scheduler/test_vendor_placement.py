"""Engines land on the accelerators they were built for, read from detectors' own output."""

from __future__ import annotations

from dataclasses import replace

from gpustack.engines.base import Engine, ModelFormat
from gpustack.engines.llamacpp import LlamaCppEngine
from gpustack.engines.vllm import VLLMEngine
from gpustack.schemas.worker_status import (
    CPUInfo,
    GPUDevice,
    MemoryInfo,
    OperatingSystemInfo,
    WorkerStatus,
)
from gpustack.schemas.workers import Worker, WorkerState
from gpustack.server.scheduler import ClusterSnapshot, WorkerView, place_instance
from gpustack.server.scheduler.db_views import worker_view
from gpustack.worker.inventory.amd import AmdDetector
from gpustack.worker.inventory.apple import AppleDetector
from gpustack.worker.inventory.ascend import AscendDetector
from gpustack.worker.inventory.intel import IntelDetector
from tests.fixtures.accelerator_outputs import replay

from .fakes import GIB, model, profile


def _worker(worker_id: int, gpus: list[GPUDevice], os_name: str = "Ubuntu") -> WorkerView:
    kernel = "Darwin 23.4.0" if os_name == "macOS" else "6.8.0-generic"
    status = WorkerStatus(
        cpu=CPUInfo(total=32),
        memory=MemoryInfo(total=64 * GIB, used=0),
        os=OperatingSystemInfo(name=os_name, version="1"),
        arch="arm64" if os_name == "macOS" else "x86_64",
        kernel=kernel,
        gpu_devices=gpus,
    )
    row = Worker(
        id=worker_id,
        name=f"{gpus[0].vendor.value}-box",
        state=WorkerState.READY.value,
        status=status.model_dump(mode="json"),
    )
    return worker_view(row)


def amd_worker() -> WorkerView:
    return _worker(1, AmdDetector(run=replay({"rocm-smi": "rocm_smi_mi210x2.json"})).detect())


def apple_worker() -> WorkerView:
    outputs = {
        "sysctl": "sysctl_memsize_m2max.txt",
        "system_profiler": "system_profiler_m2max.json",
    }
    return _worker(2, AppleDetector(run=replay(outputs), platform="darwin").detect(), "macOS")


def intel_worker() -> WorkerView:
    return _worker(3, IntelDetector(run=replay({"xpu-smi": "xpu_smi_max1550x2.json"})).detect())


def ascend_worker() -> WorkerView:
    return _worker(4, AscendDetector(run=replay({"npu-smi": "npu_smi_910b3x2.txt"})).detect())


def _place(engine: Engine, worker: WorkerView) -> tuple[str, tuple[int, ...]] | None:
    # A 9 GiB model in the format the engine reads.
    fmt = ModelFormat.SAFETENSORS if engine.name == "vllm" else ModelFormat.GGUF
    spec = model(backend=engine.name, profile=replace(profile(), format=fmt))
    result = place_instance(spec, ClusterSnapshot([worker]), engine)
    if result.placement is None:
        return None
    return result.placement.worker_name, result.placement.gpu_indexes


def test_llamacpp_gguf_runs_on_the_gpus_of_amd_and_apple_workers() -> None:
    engine = LlamaCppEngine()
    assert _place(engine, amd_worker()) == ("amd-box", (0,))
    assert _place(engine, apple_worker()) == ("apple-box", (0,))


def test_vllm_uses_amd_gpus_but_never_apple_intel_or_ascend_ones() -> None:
    engine = VLLMEngine()
    assert _place(engine, amd_worker()) == ("amd-box", (0,))
    assert _place(engine, apple_worker()) is None  # macOS: vLLM is Linux-only
    for worker in (intel_worker(), ascend_worker()):
        placed = _place(engine, worker)
        assert placed is None or placed[1] == ()


def test_the_workers_gpus_keep_their_vendor() -> None:
    assert {g.vendor for g in amd_worker().gpus} == {"amd"}
    assert {g.vendor for g in apple_worker().gpus} == {"apple"}
