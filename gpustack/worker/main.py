"""`gpustack start --server-url URL --token T`: run a worker until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import platform
import re
import signal
import socket
import sys
from urllib.parse import urlsplit

from gpustack.config import Config
from gpustack.worker.agent import RegistrationRefusedError, WorkerAgent, WorkerIdentity

logger = logging.getLogger(__name__)


def run_worker(config: Config) -> int:
    """Run the worker agent; returns the process exit code."""
    logging.basicConfig(
        level=logging.DEBUG if config.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not config.server_url:
        print("a worker needs --server-url", file=sys.stderr)
        return 2
    token = config.token or read_local_cluster_token(config)
    if not token:
        print("a worker needs --token: the token the server printed at start", file=sys.stderr)
        return 2
    name = config.worker_name or default_worker_name()
    identity = WorkerIdentity(
        name=name,
        ip=config.worker_ip or address_towards(config.server_url),
        port=config.worker_port,
        labels=default_labels(name) | dict(config.worker_labels),
    )
    try:
        asyncio.run(_run_until_signalled(WorkerAgent(config, identity, token)))
    except RegistrationRefusedError as exc:
        print(f"the server refused this worker: {exc}", file=sys.stderr)
        return 1
    return 0


def default_labels(worker_name: str) -> dict[str, str]:
    """Labels every worker has, so selectors can target an OS, an architecture or a machine."""
    return {
        "os": platform.system().lower(),
        "arch": platform.machine().lower(),
        "worker-name": worker_name,
    }


async def _run_until_signalled(agent: WorkerAgent) -> None:
    task = asyncio.create_task(agent.run(), name="worker-agent")
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        logger.info("worker stopped")


def read_local_cluster_token(config: Config) -> str | None:
    """The cluster token a server on this machine wrote (an embedded worker's case)."""
    try:
        return (config.data_dir / "token").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def default_worker_name() -> str:
    """The host name, reduced to the characters a worker name may hold."""
    name = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()).strip("-._")
    return name[:128] or "worker"


def address_towards(server_url: str) -> str:
    """This machine's address on the interface that routes to the server.

    A UDP connect picks the route without sending a packet. A server on loopback means the
    worker is on the same machine: 127.0.0.1 then.
    """
    host = urlsplit(server_url).hostname or "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return "127.0.0.1"
    except ValueError:
        if host == "localhost":
            return "127.0.0.1"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((host, urlsplit(server_url).port or 80))
            address: str = sock.getsockname()[0]
            return address
    except OSError:
        return "127.0.0.1"
