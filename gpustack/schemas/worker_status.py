"""What a worker reports about its machine: CPU, memory, disks, OS and accelerators.

All sizes are bytes (int); every ``utilization_rate`` is a percentage in [0, 100].
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


def percent_of(used: int | float, total: int | float) -> float:
    """``used`` as a percentage of ``total`` rounded to 2 places; 0 when ``total`` is 0."""
    if total <= 0:
        return 0.0
    return round(min(max(used / total * 100.0, 0.0), 100.0), 2)


class GPUVendor(StrEnum):
    """Accelerator vendors a detector can report."""

    NVIDIA = "nvidia"
    AMD = "amd"
    APPLE = "apple"
    ASCEND = "ascend"
    INTEL = "intel"


class CPUInfo(BaseModel):
    """Logical cores and their current load."""

    total: int = Field(ge=0, description="logical cores")
    utilization_rate: float = Field(default=0.0, ge=0, le=100)


class MemoryInfo(BaseModel):
    """System RAM."""

    total: int = Field(ge=0)
    used: int = Field(ge=0)
    utilization_rate: float = Field(default=0.0, ge=0, le=100)


class FilesystemInfo(BaseModel):
    """The filesystem holding one path the worker writes to (its data dir, the model cache)."""

    path: str
    total: int = Field(ge=0)
    used: int = Field(ge=0)
    available: int = Field(ge=0)


class OperatingSystemInfo(BaseModel):
    """Operating system name and version, e.g. ``Ubuntu`` / ``22.04``."""

    name: str
    version: str


class GPUMemoryInfo(BaseModel):
    """Memory of one accelerator.

    ``allocated`` is what the server has promised to model instances on this device (filled in
    from resource claims); workers always report 0.
    """

    total: int = Field(ge=0)
    used: int = Field(ge=0)
    allocated: int = Field(default=0, ge=0)
    utilization_rate: float = Field(default=0.0, ge=0, le=100)


class GPUCoreInfo(BaseModel):
    """Compute load of one accelerator."""

    utilization_rate: float = Field(default=0.0, ge=0, le=100)


class GPUDevice(BaseModel):
    """One accelerator as the worker sees it; ``index`` is the vendor's device index."""

    vendor: GPUVendor
    name: str
    index: int = Field(ge=0)
    uuid: str
    memory: GPUMemoryInfo
    core: GPUCoreInfo = Field(default_factory=GPUCoreInfo)
    temperature: float | None = Field(default=None, description="degrees Celsius, None if unknown")


class EngineInstallInfo(BaseModel):
    """An engine version the worker can run: under its data dir (`managed`) or elsewhere."""

    backend: str
    version: str
    path: str
    managed: bool = True


class WorkerStatus(BaseModel):
    """The machine status a worker sends with each heartbeat."""

    cpu: CPUInfo
    memory: MemoryInfo
    filesystem: list[FilesystemInfo] = Field(default_factory=list)
    os: OperatingSystemInfo
    arch: str
    kernel: str
    gpu_devices: list[GPUDevice] = Field(default_factory=list)
    engines: list[EngineInstallInfo] = Field(
        default_factory=list, description="engine versions installed on the worker"
    )
