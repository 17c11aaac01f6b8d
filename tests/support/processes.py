"""Real `gpustack` processes on loopback for end-to-end tests."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ADMIN_PASSWORD = "Admin-e2e-pass-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ephemeral_port_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux default 32768-60999)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port_range(size: int) -> str:
    """A run of `size` ports that are free now, above the kernel's ephemeral range.

    Engines bind their port a moment after the worker picks it; inside the ephemeral range
    an outgoing connection of any process may take it in between ("address already in
    use"), so the run is taken where the kernel never hands out local ports.
    """
    _, ephemeral_high = ephemeral_port_range()
    low = ephemeral_high + 1 if ephemeral_high + 1 + size < 65535 else 20000
    for _ in range(200):
        start = random.randint(low, 65535 - size)
        ok = True
        for port in range(start, start + size):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return f"{start}-{start + size - 1}"
    raise RuntimeError("no free port range")


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, interval: float = 0.25
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class GpustackProcess:
    """One `gpustack start` process (server with/without worker, or worker only)."""

    args: list[str]
    log_path: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def start(self) -> GpustackProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gpustack", "start", *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal only the gpustack process itself (its children must clean up or die)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None:
            # Whatever is left in its session (engines, embedded worker) goes too.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Cluster:
    """A server (and workers) started for one test; `client` is logged in as admin."""

    tmp: Path
    url: str = ""
    port: int = 0
    server: GpustackProcess | None = None
    workers: list[GpustackProcess] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def start_server(
        self, *extra: str, with_worker: bool = True, tls: bool = False
    ) -> GpustackProcess:
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        args = [
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--data-dir", str(self.tmp / "server"),
            "--bootstrap-password", ADMIN_PASSWORD,
            "--worker-port", str(free_port()),
            "--worker-name", "local",
            "--worker-ip", "127.0.0.1",
            "--service-port-range", free_port_range(8),
            *extra,
        ]  # fmt: skip
        if not with_worker:
            args.append("--disable-worker")
        self.server = GpustackProcess(args, self.tmp / "server.log", self.env).start()
        wait_until(self._healthy, 60, f"server at {self.url}\n{self.server.log()[-3000:]}")
        return self.server

    def start_worker(self, name: str, *extra: str) -> GpustackProcess:
        token = (self.tmp / "server" / "token").read_text().strip()
        args = [
            "--server-url", self.url,
            "--token", token,
            "--host", "127.0.0.1",
            "--data-dir", str(self.tmp / name),
            "--worker-port", str(free_port()),
            "--worker-name", name,
            "--worker-ip", "127.0.0.1",
            "--service-port-range", free_port_range(8),
            *extra,
        ]  # fmt: skip
        worker = GpustackProcess(args, self.tmp / f"{name}.log", self.env).start()
        self.workers.append(worker)
        return worker

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1, verify=False).status_code == 200
        except httpx.HTTPError:
            return False

    def client(self) -> httpx.Client:
        # Self-signed certificates in TLS tests: the client is ours, on loopback.
        client = httpx.Client(base_url=self.url, timeout=30, verify=False)
        resp = client.post("/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD})
        assert resp.status_code == 200, resp.text
        return client

    def wait_worker_ready(
        self, client: httpx.Client, names: Sequence[str], timeout: float = 60
    ) -> None:
        def ready() -> bool:
            items = client.get("/v2/workers").json()["items"]
            states = {w["name"]: w["state"] for w in items}
            return all(states.get(n) == "ready" for n in names)

        wait_until(ready, timeout, f"workers {list(names)} ready\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for proc in [self.server, *self.workers]:
            if proc is not None:
                parts.append(f"--- {proc.log_path.name}\n{proc.log()[-4000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.server is not None:
            self.server.stop()


@contextmanager
def cluster(tmp: Path) -> Iterator[Cluster]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["HF_HUB_DISABLE_TELEMETRY"] = "1"
    running = Cluster(tmp=tmp, env=env)
    try:
        yield running
    finally:
        running.stop()


def wait_model_running(
    client: httpx.Client, model_id: int, timeout: float, logs: Callable[[], str]
) -> None:
    def running() -> bool:
        return bool(client.get(f"/v2/models/{model_id}").json()["state"] == "running")

    try:
        wait_until(running, timeout, f"model {model_id} running")
    except AssertionError as exc:
        instances = client.get(f"/v2/models/{model_id}/instances").json()["items"]
        raise AssertionError(f"{exc}\ninstances: {instances}\n{logs()}") from None


def instances_of(client: httpx.Client, model_id: int) -> list[dict[str, object]]:
    items: list[dict[str, object]] = client.get(f"/v2/models/{model_id}/instances").json()["items"]
    return items
