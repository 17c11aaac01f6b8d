"""Apple Silicon: the Metal GPU shares the machine's unified memory (`sysctl hw.memsize`)."""

from __future__ import annotations

import json
import logging
import sys

from gpustack.schemas.worker_status import GPUDevice, GPUMemoryInfo, GPUVendor
from gpustack.worker.inventory.tool_output import ToolRunner, run_tool

logger = logging.getLogger(__name__)

MEMSIZE_ARGV = ("sysctl", "-n", "hw.memsize")
DISPLAYS_ARGV = ("system_profiler", "SPDisplaysDataType", "-json")
GIB = 1024**3
# Metal lets one process wire about this share of unified memory for the GPU
# (recommendedMaxWorkingSetSize): two thirds up to 36 GiB, three quarters above.
SMALL_MAC_BYTES = 36 * GIB


def metal_working_set(memsize: int) -> int:
    """The bytes a Metal process may use for GPU buffers on a Mac with `memsize` RAM."""
    return memsize * 2 // 3 if memsize <= SMALL_MAC_BYTES else memsize * 3 // 4


class AppleDetector:
    """One Metal GPU on an Apple Silicon Mac; nothing on other systems."""

    vendor = GPUVendor.APPLE

    def __init__(self, run: ToolRunner | None = None, platform: str = sys.platform) -> None:
        self._run = run or run_tool
        self._platform = platform

    def detect(self) -> list[GPUDevice]:
        if self._platform != "darwin":
            return []
        memsize = self._run(MEMSIZE_ARGV)
        displays = self._run(DISPLAYS_ARGV)
        if memsize is None or displays is None:
            return []
        return parse_apple(memsize, displays)

    def close(self) -> None:
        """Nothing is held: each read runs the tools anew."""


def parse_apple(memsize_output: str, displays_output: str) -> list[GPUDevice]:
    """The Apple GPU `system_profiler` lists, with Metal's share of `hw.memsize` as its VRAM."""
    try:
        memsize = int(memsize_output.strip())
        displays = json.loads(displays_output).get("SPDisplaysDataType", [])
    except (ValueError, AttributeError):
        logger.warning("could not read the Mac's memory size or displays")
        return []
    devices: list[GPUDevice] = []
    for entry in displays:
        vendor = str(entry.get("spdisplays_vendor", ""))
        if "apple" not in vendor.lower():
            continue  # an Intel Mac's AMD or Intel GPU: not Metal on unified memory
        name = str(entry.get("sppci_model") or entry.get("_name") or "Apple GPU")
        cores = entry.get("sppci_cores")
        devices.append(
            GPUDevice(
                vendor=GPUVendor.APPLE,
                name=f"{name} ({cores} cores)" if cores else name,
                index=len(devices),
                uuid=f"apple-{len(devices)}",
                memory=GPUMemoryInfo(total=metal_working_set(memsize), used=0),
            )
        )
    return devices
