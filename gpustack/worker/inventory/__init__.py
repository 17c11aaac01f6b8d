"""What a worker has: CPU, memory, disks, OS and accelerators."""

from gpustack.worker.inventory.collector import (
    collect_gpu_devices,
    collect_status,
    default_detectors,
    read_status,
)
from gpustack.worker.inventory.detector import GPUDetector
from gpustack.worker.inventory.nvidia import NvidiaDetector, NvmlLibrary

__all__ = [
    "GPUDetector",
    "NvidiaDetector",
    "NvmlLibrary",
    "collect_gpu_devices",
    "collect_status",
    "default_detectors",
    "read_status",
]
