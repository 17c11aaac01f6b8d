"""Assembles a ``WorkerStatus`` from the system readers and the GPU detectors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from gpustack.schemas.worker_status import GPUDevice, WorkerStatus
from gpustack.worker.inventory import system
from gpustack.worker.inventory.amd import AmdDetector
from gpustack.worker.inventory.apple import AppleDetector
from gpustack.worker.inventory.ascend import AscendDetector
from gpustack.worker.inventory.detector import GPUDetector
from gpustack.worker.inventory.intel import IntelDetector
from gpustack.worker.inventory.nvidia import NvidiaDetector

logger = logging.getLogger(__name__)


def default_detectors() -> list[GPUDetector]:
    """The detectors a worker uses when none are configured: one per supported vendor."""
    # Each returns [] at once where its library or tool is absent.
    return [NvidiaDetector(), AmdDetector(), AppleDetector(), IntelDetector(), AscendDetector()]


def collect_gpu_devices(detectors: Sequence[GPUDetector]) -> list[GPUDevice]:
    """Devices from every detector; a failing detector is logged and skipped."""
    devices: list[GPUDevice] = []
    for detector in detectors:
        try:
            devices.extend(detector.detect())
        except Exception:
            logger.exception("GPU detector for %s failed", detector.vendor)
    return devices


def collect_status(
    data_dir: Path,
    detectors: Sequence[GPUDetector],
    extra_paths: Sequence[Path] = (),
) -> WorkerStatus:
    """Read the whole machine status. Blocks: call it from a thread (see ``read_status``).

    ``extra_paths`` adds filesystems to report besides the data dir, e.g. a separate model cache.
    """
    return WorkerStatus(
        cpu=system.read_cpu(),
        memory=system.read_memory(),
        filesystem=system.read_filesystems([data_dir, *extra_paths]),
        os=system.read_os(),
        arch=system.read_arch(),
        kernel=system.read_kernel(),
        gpu_devices=collect_gpu_devices(detectors),
    )


async def read_status(
    data_dir: Path,
    detectors: Sequence[GPUDetector],
    extra_paths: Sequence[Path] = (),
) -> WorkerStatus:
    """``collect_status`` run in a thread, for the worker's event loop."""
    return await asyncio.to_thread(collect_status, data_dir, detectors, extra_paths)
