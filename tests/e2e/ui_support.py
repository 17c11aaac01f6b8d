"""Helpers for the browser tests: a real `gpustack start` on loopback and headless Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
UI_DIST = REPO_ROOT / "gpustack" / "ui_dist"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
BOOTSTRAP_PASSWORD = "Bootstrap123"
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class RunningServer:
    """A `gpustack start` process and where to reach it."""

    process: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_prerequisites() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (UI_DIST / "index.html").is_file():
        return "UI not built: cd ui && npm ci && npm run build"
    if not CHROMIUM.is_file():
        return "Chromium not installed: apt-get install -y chromium"
    return None


def _wait_ready(server: RunningServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gpustack exited early:\n{server.log_tail()}")
        try:
            if httpx.get(server.base_url + "/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"gpustack not ready in {READY_TIMEOUT_S}s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # The server runs its worker (and engines) as children: stop the whole group.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def gpustack_server(data_dir: Path, with_worker: bool = True) -> Iterator[RunningServer]:
    """Runs `gpustack start` (server plus embedded worker) on free loopback ports."""
    port = free_port()
    engine_low = free_port()
    args = [
        sys.executable,
        "-m",
        "gpustack",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--bootstrap-password",
        BOOTSTRAP_PASSWORD,
    ]
    if with_worker:
        args += [
            "--worker-port",
            str(free_port()),
            "--worker-ip",
            "127.0.0.1",
            "--worker-name",
            "e2e-worker",
            "--service-port-range",
            f"{engine_low}-{engine_low + 7}",
        ]
    else:
        args.append("--disable-worker")
    log = data_dir / "gpustack.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env=env,
            start_new_session=True,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", data_dir, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(process)


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; Playwright never downloads a browser of its own."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
