"""`gpustack start --server-url URL --token T`: worker identity defaults and process exit."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import pytest

from gpustack.config import Config
from gpustack.worker.main import address_towards, default_worker_name, run_worker

from .network import free_port


def test_a_server_on_loopback_means_the_worker_uses_loopback() -> None:
    assert address_towards("http://127.0.0.1:8080") == "127.0.0.1"
    assert address_towards("http://localhost") == "127.0.0.1"
    assert address_towards("http://[::1]:80") == "127.0.0.1"


def test_a_remote_server_gets_the_address_of_the_routing_interface() -> None:
    # A UDP connect sends nothing, so this works without a network; the answer is never loopback
    # unless no route exists at all.
    address = address_towards("http://192.0.2.10:80")
    assert address.count(".") == 3


def test_the_default_worker_name_is_a_valid_worker_name() -> None:
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", default_worker_name())


def test_a_worker_without_a_token_exits_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Config(data_dir=tmp_path, server_url="http://127.0.0.1:9")
    assert run_worker(config) == 2
    assert "--token" in capsys.readouterr().err


async def test_sigterm_stops_a_worker_still_waiting_for_its_server(tmp_path: Path) -> None:
    # Port 9 (discard) refuses connections: the worker keeps retrying registration.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gpustack",
        "start",
        "--server-url",
        "http://127.0.0.1:9",
        "--token",
        "t",
        "--data-dir",
        str(tmp_path),
        "--worker-port",
        str(free_port()),
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    async with asyncio.timeout(20):
        while b"cannot register yet" not in await proc.stderr.readline():
            pass
        proc.send_signal(signal.SIGTERM)
        assert await proc.wait() == 0


def test_every_worker_carries_os_arch_and_name_labels() -> None:
    from gpustack.worker.main import default_labels

    labels = default_labels("gpu-box-1")
    assert labels["os"] == "linux" and labels["worker-name"] == "gpu-box-1"
    assert labels["arch"] in ("x86_64", "aarch64", "amd64", "arm64")
