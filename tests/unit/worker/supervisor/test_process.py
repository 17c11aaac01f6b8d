"""Engine processes: environment, and no engine outliving its worker."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from gpustack.config import Config
from gpustack.worker.supervisor import PortAllocator, build_env
from gpustack.worker.supervisor.process import WORKER_SECRETS

from .harness import is_gone, wait_until

REPO_ROOT = Path(__file__).resolve().parents[4]
PARENT = Path(__file__).with_name("supervising_parent.py")


def test_env_carries_the_spec_and_the_assigned_gpus() -> None:
    env = build_env(
        {"PATH": "/usr/bin", "CUDA_VISIBLE_DEVICES": "0,1,2,3"},
        {"LLAMA_ARG_THREADS": "4", "CUDA_VISIBLE_DEVICES": "3"},
        gpu_indexes=[1, 2],
        host_has_gpus=True,
    )

    assert env == {"PATH": "/usr/bin", "LLAMA_ARG_THREADS": "4", "CUDA_VISIBLE_DEVICES": "1,2"}


def test_engines_inherit_none_of_the_workers_secrets() -> None:
    worker_env = {
        "PATH": "/usr/bin",
        "HF_TOKEN": "hf_for-downloads",
        "GPUSTACK_DEBUG": "true",
        "GPUSTACK_TOKEN": "cluster-token",
        "gpustack_token": "cluster-token-lower-case",
        "GPUSTACK_BOOTSTRAP_PASSWORD": "Admin-pass-123",
        "GPUSTACK_METRICS_TOKEN": "metrics-token-0123456789",
        "GPUSTACK_DATABASE_URL": "postgresql://gpustack:db-secret@db/gpustack",
    }

    env = build_env(worker_env, {"MODEL_VAR": "1"}, [], host_has_gpus=False)

    assert env == {
        "PATH": "/usr/bin",
        "HF_TOKEN": "hf_for-downloads",
        "GPUSTACK_DEBUG": "true",
        "MODEL_VAR": "1",
    }


def test_every_secret_setting_is_kept_from_engines() -> None:
    secrets = {"token", "bootstrap_password", "metrics_token", "database_url"}
    assert secrets <= Config.model_fields.keys()
    assert {f"GPUSTACK_{name.upper()}" for name in secrets} == WORKER_SECRETS


def test_cpu_instance_on_a_gpu_host_sees_no_gpu() -> None:
    assert build_env({}, {}, [], host_has_gpus=True) == {"CUDA_VISIBLE_DEVICES": ""}


def test_cpu_only_host_leaves_cuda_alone() -> None:
    assert build_env({"A": "1"}, {}, [], host_has_gpus=False) == {"A": "1"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
async def test_engine_dies_with_a_worker_killed_by_sigkill(
    tmp_path: Path, ports: PortAllocator
) -> None:
    engine_pid_file = tmp_path / "engine.pid"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    parent = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PARENT),
        str(tmp_path),
        str(ports.allocate(1)),
        str(engine_pid_file),
        env=env,
    )
    try:
        await wait_until(engine_pid_file.exists)
        engine_pid = int(engine_pid_file.read_text())
        assert not is_gone(engine_pid)

        parent.send_signal(signal.SIGKILL)
        await parent.wait()

        await wait_until(lambda: is_gone(engine_pid), within_s=5)
    finally:
        if parent.returncode is None:
            parent.kill()
            await parent.wait()


def test_amd_gpus_are_picked_with_hip_visible_devices() -> None:
    env = build_env(
        {"ROCR_VISIBLE_DEVICES": "1", "CUDA_VISIBLE_DEVICES": "0"},
        {},
        gpu_indexes=[2, 3],
        host_has_gpus=True,
        gpu_vendor="amd",
    )
    # An inherited ROCR_VISIBLE_DEVICES would renumber the devices HIP's indexes name.
    assert env == {"HIP_VISIBLE_DEVICES": "2,3"}


def test_a_cpu_instance_on_an_ascend_host_sees_no_npu() -> None:
    env = build_env({}, {}, [], host_has_gpus=True, gpu_vendor="ascend")
    assert env == {"ASCEND_RT_VISIBLE_DEVICES": ""}


def test_apple_metal_needs_no_visible_devices_variable() -> None:
    assert build_env({"A": "1"}, {}, [0], host_has_gpus=True, gpu_vendor="apple") == {"A": "1"}
