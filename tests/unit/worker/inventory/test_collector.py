import json
from collections.abc import Callable
from pathlib import Path

from gpustack.schemas.worker_status import GPUDevice, GPUVendor, WorkerStatus
from gpustack.worker.inventory.collector import collect_status, default_detectors, read_status
from gpustack.worker.inventory.nvidia import NvidiaDetector
from tests.fixtures.nvml_snapshots import RecordedNvml


class _BrokenDetector:
    vendor = GPUVendor.AMD

    def detect(self) -> list[GPUDevice]:
        raise RuntimeError("driver exploded")

    def close(self) -> None:
        pass


def test_status_reports_machine_and_recorded_gpus(
    tmp_path: Path, recorded_nvml: Callable[[str], RecordedNvml]
) -> None:
    status = collect_status(tmp_path, [NvidiaDetector(recorded_nvml("rtx4090x2"))])

    assert status.cpu.total >= 1
    assert 0 < status.memory.used <= status.memory.total
    assert [fs.path for fs in status.filesystem] == [str(tmp_path)]
    assert status.filesystem[0].available <= status.filesystem[0].total
    assert status.os.name
    assert status.arch
    assert status.kernel
    assert [d.uuid for d in status.gpu_devices] == [
        "GPU-9a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
        "GPU-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    ]


def test_status_survives_a_json_round_trip(
    tmp_path: Path, recorded_nvml: Callable[[str], RecordedNvml]
) -> None:
    status = collect_status(tmp_path, [NvidiaDetector(recorded_nvml("a100x8"))])

    wire = json.dumps(status.model_dump(mode="json"))
    decoded = json.loads(wire)

    assert decoded["gpu_devices"][3]["vendor"] == "nvidia"
    assert decoded["gpu_devices"][3]["memory"]["allocated"] == 0
    assert isinstance(decoded["memory"]["total"], int)
    assert WorkerStatus.model_validate(decoded) == status


def test_a_failing_detector_does_not_hide_the_others(
    tmp_path: Path, recorded_nvml: Callable[[str], RecordedNvml]
) -> None:
    status = collect_status(tmp_path, [_BrokenDetector(), NvidiaDetector(recorded_nvml("h100x1"))])

    assert [d.name for d in status.gpu_devices] == ["NVIDIA H100 80GB HBM3"]


def test_missing_data_dir_reports_the_filesystem_it_would_live_on(tmp_path: Path) -> None:
    not_yet = tmp_path / "data" / "not-created"

    status = collect_status(not_yet, [], extra_paths=[tmp_path, not_yet])

    assert [fs.path for fs in status.filesystem] == [str(not_yet), str(tmp_path)]
    assert status.filesystem[0].total == status.filesystem[1].total


async def test_read_status_runs_without_gpus_on_this_machine(tmp_path: Path) -> None:
    # The default NVIDIA detector must degrade to no devices where there is no driver.
    status = await read_status(tmp_path, default_detectors())

    assert status.cpu.total >= 1
    assert isinstance(status.gpu_devices, list)
