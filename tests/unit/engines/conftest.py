"""Fixtures for engine tests: the offline models and a launcher process on a loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

# Until the root conftest registers this plugin, load its fixtures here.
from tests.fixtures.model_fixtures import (  # noqa: F401
    minilm_embedding_gguf,
    minilm_reranker_gguf,
    smollm2_gguf,
    test_models_dir,
    tiny_llama_gguf,
    tiny_vision_model_dir,
)

READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class LauncherProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(launched: LauncherProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if launched.process.poll() is not None:
            raise AssertionError(f"launcher exited early:\n{launched.log.read_text()[-3000:]}")
        try:
            if httpx.get(launched.base_url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"launcher not healthy in {READY_TIMEOUT_S}s")


@pytest.fixture
def start_launcher(tmp_path: Path) -> Iterator[Callable[..., LauncherProcess]]:
    """Start `python -m gpustack.engines.llamacpp_launcher ARGS` and wait for /health."""
    started: list[LauncherProcess] = []

    def start(*args: str) -> LauncherProcess:
        port = free_port()
        log = tmp_path / f"launcher-{port}.log"
        argv = [sys.executable, "-m", "gpustack.engines.llamacpp_launcher"]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--threads", "2", *args]
        with log.open("wb") as sink:
            process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
        launched = LauncherProcess(process, f"http://127.0.0.1:{port}", log)
        started.append(launched)
        _wait_healthy(launched)
        return launched

    yield start
    for launched in started:
        if launched.process.poll() is None:
            launched.process.kill()
            launched.process.wait(timeout=10)
