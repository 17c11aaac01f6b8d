"""The worker that `gpustack start` runs beside its server: a child process that dies with it.

It reads the cluster token from the data dir it shares with the server: a secret on its
command line would show in `ps` to every user of the machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

from gpustack.config import Config
from gpustack.worker.supervisor.process import WORKER_SECRETS, parent_death_signal_hook


def embedded_worker_args(config: Config) -> list[str]:
    scheme = "https" if config.ssl_certfile else "http"
    args = [
        "--server-url", f"{scheme}://127.0.0.1:{config.port}",
        "--data-dir", str(config.data_dir),
        "--host", "127.0.0.1" if config.host in ("127.0.0.1", "localhost") else config.host,
        "--worker-port", str(config.worker_port),
        "--worker-name", config.worker_name or socket.gethostname(),
        "--worker-ip", config.worker_ip or "127.0.0.1",
        "--service-port-range", config.service_port_range,
    ]  # fmt: skip
    if config.worker_labels:
        args += ["--worker-labels", ",".join(f"{k}={v}" for k, v in config.worker_labels.items())]
    if config.cache_dir:
        args += ["--cache-dir", str(config.cache_dir)]
    if config.debug:
        args.append("--debug")
    if config.ssl_certfile:
        # Loopback to our own server: the certificate names the public host, not 127.0.0.1.
        args.append("--insecure-skip-tls-verify")
    return args


def embedded_worker_env() -> dict[str, str]:
    """Our environment less the server's secrets; a GPUSTACK_TOKEN would also beat the token
    file in the worker, and the worker needs neither the database nor the admin password."""
    return {k: v for k, v in os.environ.items() if k.upper() not in WORKER_SECRETS}


def start_embedded_worker(config: Config) -> subprocess.Popen[bytes]:
    """Must be called from the main thread: the child's parent-death signal is tied to it."""
    return subprocess.Popen(
        [sys.executable, "-m", "gpustack", "start", *embedded_worker_args(config)],
        env=embedded_worker_env(),
        preexec_fn=parent_death_signal_hook(),
    )


def stop_embedded_worker(process: subprocess.Popen[bytes], grace_seconds: float = 15) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
