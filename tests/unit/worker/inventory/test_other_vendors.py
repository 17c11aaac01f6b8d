"""AMD, Apple, Intel and Ascend detectors read their tools' recorded outputs."""

from __future__ import annotations

from typing import Any

from gpustack.schemas.worker_status import GPUVendor
from gpustack.worker.inventory.amd import AmdDetector
from gpustack.worker.inventory.apple import AppleDetector, metal_working_set
from gpustack.worker.inventory.ascend import AscendDetector
from gpustack.worker.inventory.collector import collect_gpu_devices, default_detectors
from gpustack.worker.inventory.intel import IntelDetector
from tests.fixtures.accelerator_outputs import replay

GIB = 1024**3
MIB = 1024**2


def test_rocm_smi_lists_two_mi210s_with_their_vram() -> None:
    run = replay({"rocm-smi": "rocm_smi_mi210x2.json"})
    devices = AmdDetector(run=run).detect()

    assert [(d.vendor, d.index, d.name) for d in devices] == [
        (GPUVendor.AMD, 0, "AMD Instinct MI210"),
        (GPUVendor.AMD, 1, "AMD Instinct MI210"),
    ]
    assert devices[0].memory.total == 68702699520
    assert devices[1].memory.used == 32 * GIB
    assert devices[1].memory.utilization_rate == 50.01
    assert devices[0].uuid != devices[1].uuid
    assert run.calls == [("rocm-smi", "--showmeminfo", "vram", "--showproductname", "--json")]


class FakeAmdSmi:
    """amdsmi as its Python module answers, for one MI300X."""

    def __init__(self) -> None:
        self.shut_down = False

    def amdsmi_init(self) -> None: ...

    def amdsmi_shut_down(self) -> None:
        self.shut_down = True

    def amdsmi_get_processor_handles(self) -> list[Any]:
        return ["h0"]

    def amdsmi_get_gpu_asic_info(self, handle: Any) -> dict[str, Any]:
        return {"market_name": "AMD Instinct MI300X", "vendor_id": "0x1002"}

    def amdsmi_get_gpu_device_uuid(self, handle: Any) -> str:
        return "d4ff74a1-0000-1000-80e5-7d5b1a2c3e4f"

    def amdsmi_get_gpu_vram_usage(self, handle: Any) -> dict[str, Any]:
        return {"vram_total": 196592, "vram_used": 283}

    def amdsmi_get_gpu_activity(self, handle: Any) -> dict[str, Any]:
        return {"gfx_activity": 12, "umc_activity": "N/A", "mm_activity": "N/A"}


def test_amdsmi_is_preferred_over_rocm_smi() -> None:
    lib = FakeAmdSmi()
    run = replay({"rocm-smi": "rocm_smi_mi210x2.json"})
    devices = AmdDetector(amdsmi=lib, run=run).detect()

    assert [d.name for d in devices] == ["AMD Instinct MI300X"]
    assert devices[0].memory.total == 196592 * MIB
    assert devices[0].core.utilization_rate == 12.0
    assert run.calls == [] and lib.shut_down


def test_no_amd_tool_means_no_amd_gpu() -> None:
    assert AmdDetector(run=lambda argv: None).detect() == []


def test_apple_m2_max_offers_metals_share_of_unified_memory() -> None:
    run = replay(
        {"sysctl": "sysctl_memsize_m2max.txt", "system_profiler": "system_profiler_m2max.json"}
    )
    devices = AppleDetector(run=run, platform="darwin").detect()

    assert len(devices) == 1
    gpu = devices[0]
    assert gpu.vendor is GPUVendor.APPLE
    assert gpu.name == "Apple M2 Max (38 cores)"
    assert gpu.memory.total == 48 * GIB  # three quarters of 64 GiB


def test_metal_working_set_is_two_thirds_on_small_macs() -> None:
    assert metal_working_set(24 * GIB) == 16 * GIB


def test_apple_detector_reports_nothing_off_macos() -> None:
    run = replay({"sysctl": "sysctl_memsize_m2max.txt"})
    assert AppleDetector(run=run, platform="linux").detect() == []
    assert run.calls == []


def test_xpu_smi_lists_two_intel_max_gpus() -> None:
    devices = IntelDetector(run=replay({"xpu-smi": "xpu_smi_max1550x2.json"})).detect()

    assert [(d.vendor, d.index) for d in devices] == [(GPUVendor.INTEL, 0), (GPUVendor.INTEL, 1)]
    assert devices[0].name == "Intel(R) Data Center GPU Max 1550"
    assert devices[1].memory.total == 128 * GIB
    assert devices[1].uuid == "01000000-0000-0000-0000-0000003a0000"


def test_npu_smi_table_gives_each_npu_its_hbm_and_load() -> None:
    devices = AscendDetector(run=replay({"npu-smi": "npu_smi_910b3x2.txt"})).detect()

    assert [(d.vendor, d.index, d.name) for d in devices] == [
        (GPUVendor.ASCEND, 0, "Ascend 910B3"),
        (GPUVendor.ASCEND, 1, "Ascend 910B3"),
    ]
    assert devices[0].memory.total == 64 * GIB
    assert devices[0].memory.used == 3161 * MIB
    assert devices[1].memory.used == 52427 * MIB
    assert devices[1].core.utilization_rate == 87.0
    assert devices[1].temperature == 45.0


def test_every_vendor_has_a_default_detector_and_none_fails_without_its_tools() -> None:
    detectors = default_detectors()
    assert {d.vendor for d in detectors} == set(GPUVendor)
    # This machine has none of the tools: each says so with an empty list.
    assert collect_gpu_devices(detectors[1:]) == []
