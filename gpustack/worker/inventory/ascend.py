"""Huawei Ascend NPUs through the table `npu-smi info` prints."""

from __future__ import annotations

import re

from gpustack.schemas.worker_status import (
    GPUCoreInfo,
    GPUDevice,
    GPUMemoryInfo,
    GPUVendor,
    percent_of,
)
from gpustack.worker.inventory.tool_output import ToolRunner, run_tool

INFO_ARGV = ("npu-smi", "info")
MIB = 1024 * 1024
# First row of an NPU: "| 0     910B3   | OK   | 93.6   40   0    / 0   |"
_NPU_ROW = re.compile(r"^\|\s*(\d+)\s+(\S[^|]*?)\s*\|\s*(\w+)\s*\|\s*([\d.]+|NA)\s+(\d+|NA)")
# Second row: "| 0      | 0000:C1:00.0  | 0    0    / 0     3161 / 65536   |"
_CHIP_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*([0-9A-Fa-f:.]+)\s*\|\s*(\d+|NA)\s+(.*)\|\s*$")
_USAGE = re.compile(r"(\d+)\s*/\s*(\d+)")


class AscendDetector:
    """Every NPU chip `npu-smi info` lists, with its HBM as memory."""

    vendor = GPUVendor.ASCEND

    def __init__(self, run: ToolRunner | None = None) -> None:
        self._run = run or run_tool

    def detect(self) -> list[GPUDevice]:
        output = self._run(INFO_ARGV)
        return parse_npu_smi(output) if output else []

    def close(self) -> None:
        """Nothing is held: each read runs the tool anew."""


def parse_npu_smi(output: str) -> list[GPUDevice]:
    """Pairs of rows per NPU: name/health/temperature, then bus id/AICore/memory usage."""
    devices: list[GPUDevice] = []
    pending: tuple[int, str, float | None] | None = None
    for line in output.splitlines():
        if pending is None:
            match = _NPU_ROW.match(line)
            if match:
                temp = match.group(5)
                celsius = float(temp) if temp != "NA" else None
                pending = (int(match.group(1)), match.group(2), celsius)
            continue
        chip = _CHIP_ROW.match(line)
        if chip is None:
            continue
        npu, name, temperature = pending
        pending = None
        # The last "used / total" pair is HBM (910B) or, where HBM is absent, DDR memory.
        usages = _USAGE.findall(chip.group(4))
        used, total = (int(usages[-1][0]) * MIB, int(usages[-1][1]) * MIB) if usages else (0, 0)
        aicore = chip.group(3)
        devices.append(
            GPUDevice(
                vendor=GPUVendor.ASCEND,
                name=f"Ascend {name}",
                # Engines number chips 0..n-1 (ASCEND_RT_VISIBLE_DEVICES), as listed here.
                index=len(devices),
                uuid=f"npu-{npu}-{chip.group(2)}",
                memory=GPUMemoryInfo(
                    total=total, used=used, utilization_rate=percent_of(used, total)
                ),
                core=GPUCoreInfo(utilization_rate=float(aicore) if aicore != "NA" else 0.0),
                temperature=temperature,
            )
        )
    return devices
