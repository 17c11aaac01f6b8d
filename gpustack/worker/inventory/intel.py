"""Intel data-center and Arc GPUs through `xpu-smi discovery -j`."""

from __future__ import annotations

import json
import logging

from gpustack.schemas.worker_status import GPUDevice, GPUMemoryInfo, GPUVendor
from gpustack.worker.inventory.tool_output import ToolRunner, run_tool

logger = logging.getLogger(__name__)

DISCOVERY_ARGV = ("xpu-smi", "discovery", "-j")


class IntelDetector:
    """Every GPU `xpu-smi` discovers; memory from `memory_physical_size_byte`."""

    vendor = GPUVendor.INTEL

    def __init__(self, run: ToolRunner | None = None) -> None:
        self._run = run or run_tool

    def detect(self) -> list[GPUDevice]:
        output = self._run(DISCOVERY_ARGV)
        return parse_xpu_smi(output) if output else []

    def close(self) -> None:
        """Nothing is held: each read runs the tool anew."""


def parse_xpu_smi(output: str) -> list[GPUDevice]:
    try:
        listed = json.loads(output).get("device_list", [])
    except (json.JSONDecodeError, AttributeError):
        logger.warning("xpu-smi printed no device list")
        return []
    devices: list[GPUDevice] = []
    for entry in listed:
        if str(entry.get("device_type", "GPU")).upper() != "GPU":
            continue
        total = int(entry.get("memory_physical_size_byte") or 0)
        devices.append(
            GPUDevice(
                vendor=GPUVendor.INTEL,
                name=str(entry.get("device_name") or "Intel GPU"),
                index=int(entry["device_id"]),
                uuid=str(entry.get("uuid") or entry.get("pci_bdf_address") or entry["device_id"]),
                memory=GPUMemoryInfo(total=total, used=0),
            )
        )
    return devices
