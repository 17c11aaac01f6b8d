"""scripts/gpu-check.sh on a machine without an NVIDIA GPU says so and succeeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_without_a_gpu_the_check_is_skipped_clearly() -> None:
    from gpustack.worker.inventory.nvidia import NvidiaDetector

    if NvidiaDetector().detect():
        pytest.skip("this machine has an NVIDIA GPU: run scripts/gpu-check.sh itself")
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "gpu-check.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no NVIDIA GPU: skipped" in done.stdout
