from collections.abc import Callable

from gpustack.schemas.worker_status import GPUVendor
from gpustack.worker.inventory.nvidia import NvidiaDetector
from tests.fixtures.nvml_snapshots import RecordedNvml, load_snapshot

GIB = 1024**3


def test_single_h100_is_reported_with_its_memory_and_temperature(
    recorded_nvml: Callable[[str], RecordedNvml],
) -> None:
    devices = NvidiaDetector(recorded_nvml("h100x1")).detect()

    assert len(devices) == 1
    h100 = devices[0]
    assert h100.vendor is GPUVendor.NVIDIA
    assert h100.name == "NVIDIA H100 80GB HBM3"
    assert h100.index == 0
    assert h100.uuid == "GPU-5d8a3c2e-7f1b-4c55-9e0a-2b6f1d4c8a91"
    assert h100.memory.total == 85520809984
    assert h100.memory.used == 565182464
    assert h100.memory.allocated == 0
    assert h100.core.utilization_rate == 0.0
    assert h100.temperature == 31.0


def test_eight_a100s_keep_their_order_and_show_which_are_busy(
    recorded_nvml: Callable[[str], RecordedNvml],
) -> None:
    devices = NvidiaDetector(recorded_nvml("a100x8")).detect()

    assert [d.index for d in devices] == list(range(8))
    assert len({d.uuid for d in devices}) == 8
    assert all(d.memory.total == 40 * GIB for d in devices)
    busy = [d.index for d in devices if d.core.utilization_rate > 50]
    assert busy == [0, 1, 2, 3]
    assert devices[0].memory.utilization_rate > 90
    assert devices[7].memory.utilization_rate < 2


def test_busy_rtx_4090_is_distinguishable_from_the_idle_one(
    recorded_nvml: Callable[[str], RecordedNvml],
) -> None:
    busy, idle = NvidiaDetector(recorded_nvml("rtx4090x2")).detect()

    assert busy.name == idle.name == "NVIDIA GeForce RTX 4090"
    assert busy.core.utilization_rate == 98.0
    assert busy.temperature == 71.0
    assert busy.memory.total - busy.memory.used < 2 * GIB
    assert idle.core.utilization_rate == 0.0
    assert idle.memory.used < 32 * 1024**2


def test_unsupported_sensors_leave_the_gpu_listed(
    recorded_nvml: Callable[[str], RecordedNvml],
) -> None:
    (device,) = NvidiaDetector(recorded_nvml("a100_vgpu_unsupported_sensors")).detect()

    assert device.name == "NVIDIA A100-PCIE-40GB"
    assert device.temperature is None
    assert device.core.utilization_rate == 0.0


def test_missing_nvml_library_means_no_gpus_and_no_retry() -> None:
    nvml = RecordedNvml(load_snapshot("h100x1"), library_missing=True)
    detector = NvidiaDetector(nvml)

    assert detector.detect() == []
    assert detector.detect() == []
    assert nvml.init_calls == 1


def test_nvml_is_initialised_once_and_shut_down_on_close(
    recorded_nvml: Callable[[str], RecordedNvml],
) -> None:
    nvml = recorded_nvml("rtx4090x2")
    detector = NvidiaDetector(nvml)

    detector.detect()
    detector.detect()
    detector.close()

    assert (nvml.init_calls, nvml.shutdown_calls) == (1, 1)
