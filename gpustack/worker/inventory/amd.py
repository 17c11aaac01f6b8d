"""AMD GPUs: the `amdsmi` Python library when importable, else `rocm-smi --json`."""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from gpustack.schemas.worker_status import (
    GPUCoreInfo,
    GPUDevice,
    GPUMemoryInfo,
    GPUVendor,
    percent_of,
)
from gpustack.worker.inventory.tool_output import ToolRunner, run_tool

logger = logging.getLogger(__name__)

ROCM_SMI_ARGV = ("rocm-smi", "--showmeminfo", "vram", "--showproductname", "--json")
MIB = 1024 * 1024


class AmdSmiLibrary(Protocol):
    """The few `amdsmi` calls used here, named as in the module so it fits as it is."""

    def amdsmi_init(self) -> None: ...

    def amdsmi_shut_down(self) -> None: ...

    def amdsmi_get_processor_handles(self) -> list[Any]: ...

    def amdsmi_get_gpu_asic_info(self, handle: Any) -> dict[str, Any]: ...

    def amdsmi_get_gpu_device_uuid(self, handle: Any) -> str: ...

    def amdsmi_get_gpu_vram_usage(self, handle: Any) -> dict[str, Any]: ...

    def amdsmi_get_gpu_activity(self, handle: Any) -> dict[str, Any]: ...


def load_amdsmi() -> AmdSmiLibrary | None:
    """ROCm's Python binding, or None when it is not installed (or its library is missing)."""
    try:
        import amdsmi
    except (ImportError, OSError):
        return None
    library: AmdSmiLibrary = amdsmi
    return library


class AmdDetector:
    """Name, uuid and VRAM of every AMD GPU, from amdsmi or from rocm-smi's JSON."""

    vendor = GPUVendor.AMD

    def __init__(self, amdsmi: AmdSmiLibrary | None = None, run: ToolRunner | None = None) -> None:
        self._amdsmi = amdsmi
        self._run = run or run_tool
        self._probed = amdsmi is not None

    def detect(self) -> list[GPUDevice]:
        if not self._probed:
            self._amdsmi, self._probed = load_amdsmi(), True
        if self._amdsmi is not None:
            try:
                return read_amdsmi(self._amdsmi)
            except Exception as exc:  # AmdSmiException: no driver, no permission
                logger.info("amdsmi could not list GPUs (%s); trying rocm-smi", exc)
        output = self._run(ROCM_SMI_ARGV)
        return parse_rocm_smi(output) if output else []

    def close(self) -> None:
        """Nothing is held between calls: amdsmi is initialised and shut down per read."""


def read_amdsmi(lib: AmdSmiLibrary) -> list[GPUDevice]:
    """Every GPU amdsmi lists; VRAM figures come in MiB."""
    lib.amdsmi_init()
    try:
        devices: list[GPUDevice] = []
        for index, handle in enumerate(lib.amdsmi_get_processor_handles()):
            asic = lib.amdsmi_get_gpu_asic_info(handle)
            vram = lib.amdsmi_get_gpu_vram_usage(handle)
            total, used = int(vram["vram_total"]) * MIB, int(vram["vram_used"]) * MIB
            devices.append(
                GPUDevice(
                    vendor=GPUVendor.AMD,
                    name=str(asic.get("market_name") or "AMD GPU"),
                    index=index,
                    uuid=str(lib.amdsmi_get_gpu_device_uuid(handle)),
                    memory=_memory(total, used),
                    core=GPUCoreInfo(utilization_rate=_activity(lib, handle)),
                )
            )
        return devices
    finally:
        lib.amdsmi_shut_down()


def parse_rocm_smi(output: str) -> list[GPUDevice]:
    """`rocm-smi --showmeminfo vram --showproductname --json`: one `cardN` object per GPU."""
    try:
        data = json.loads(output)
    except json.JSONDecodeError:
        logger.warning("rocm-smi printed no JSON")
        return []
    devices: list[GPUDevice] = []
    for key, card in data.items():
        if not key.startswith("card") or not isinstance(card, dict):
            continue  # "system" holds driver facts, not a GPU
        total = int(card.get("VRAM Total Memory (B)", 0))
        used = int(card.get("VRAM Total Used Memory (B)", 0))
        index = int(key.removeprefix("card"))
        devices.append(
            GPUDevice(
                vendor=GPUVendor.AMD,
                name=str(card.get("Card Series") or card.get("Card Model") or "AMD GPU"),
                index=index,
                uuid=str(card.get("Unique ID") or card.get("GUID") or key),
                memory=_memory(total, used),
            )
        )
    return sorted(devices, key=lambda d: d.index)


def _memory(total: int, used: int) -> GPUMemoryInfo:
    return GPUMemoryInfo(total=total, used=used, utilization_rate=percent_of(used, total))


def _activity(lib: AmdSmiLibrary, handle: Any) -> float:
    try:
        value = lib.amdsmi_get_gpu_activity(handle).get("gfx_activity")
    except Exception:
        return 0.0
    # amdsmi reports "N/A" where a sensor is missing.
    return float(min(max(value, 0), 100)) if isinstance(value, int | float) else 0.0
