"""What a worker has: CPU, memory, disks, OS and accelerators."""

from gpustack.worker.inventory.collector import (
    default_detectors,
    read_status,
)
from gpustack.worker.inventory.detector import GPUDetector

__all__ = [
    "GPUDetector",
    "default_detectors",
    "read_status",
]
