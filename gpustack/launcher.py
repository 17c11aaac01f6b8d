"""What `gpustack start` runs: the server (and its embedded worker), or a worker alone."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TextIO

import uvicorn
from fastapi import FastAPI

from gpustack.config import Config
from gpustack.embedded_worker import start_embedded_worker, stop_embedded_worker
from gpustack.server.app import create_app
from gpustack.server.bootstrap import PASSWORD_FILE, read_or_create_secret
from gpustack.server.inference import InferenceFirst

# The cluster token workers join with; the embedded worker reads it from here too.
TOKEN_FILE = "token"
# How long an idle connection stays open. uvicorn's default (5 s) equals the workers'
# heartbeat interval, so the server closed pooled connections just as a worker reused them;
# this outlasts the workers' pool (30 s) and the 60 s a load balancer in front keeps its own.
KEEP_ALIVE_S = 65


def announce(config: Config, token: str, stream: TextIO | None = None) -> None:
    """The start-up banner, on stderr.

    The cluster token shows only on a terminal: redirected to a file or a log collector,
    the banner says where to read it instead, so no log keeps the secret.
    """
    out = stream or sys.stderr
    scheme = "https" if config.ssl_certfile else "http"
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    url = f"{scheme}://{host}:{config.port}"
    lines = [
        f"GPUStack server: UI {url}/  API docs {url}/docs  OpenAI API {url}/v1",
        f"Data: {config.data_dir}",
    ]
    password_file = config.data_dir / PASSWORD_FILE
    if not config.bootstrap_password:
        lines.append(f"Admin password file (user admin): {password_file}")
    if _is_terminal(out):
        lines.append(f"Worker registration token: {token}")
        lines.append(f"Add a worker: gpustack start --server-url {url} --token {token}")
    else:
        token_file = config.data_dir / TOKEN_FILE
        lines.append(f"Worker registration token: in {token_file} (printed only on a terminal)")
        lines.append(
            f"Add a worker: gpustack start --server-url {url} --token <the token in {token_file}>"
        )
    print("\n".join(lines), file=out, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def run(config: Config) -> int:
    if config.is_worker_only:
        from gpustack.worker.main import run_worker

        exit_code: int = run_worker(config)
        return exit_code
    config.data_dir.mkdir(parents=True, exist_ok=True)
    token = read_or_create_secret(config.data_dir / TOKEN_FILE, 16)
    announce(config, token)
    app = create_app(config)
    worker = None if config.disable_worker else start_embedded_worker(config)
    try:
        _serve(app, config)
    finally:
        if worker is not None:
            stop_embedded_worker(worker)
    return 0


def _serve(app: FastAPI, config: Config) -> None:
    # uvicorn re-raises the SIGTERM it shut down on once it is done. With the default action
    # that ends this process before the embedded worker could stop its engines: the worker
    # then dies by its parent-death signal, each engine by its own, and their helper
    # processes (vLLM's engine core) are left running. The shutdown has happened by then, so
    # the re-raised signal may pass.
    if threading.current_thread() is not threading.main_thread():
        _run_uvicorn(app, config)
        return
    previous = signal.signal(signal.SIGTERM, _already_shut_down)
    try:
        _run_uvicorn(app, config)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _already_shut_down(signum: int, frame: FrameType | None) -> None:
    """uvicorn's re-raised SIGTERM: the server has already stopped."""


def _run_uvicorn(app: FastAPI, config: Config) -> None:
    uvicorn.run(
        InferenceFirst(app, enabled=not config.enable_cors),
        host=config.host,
        port=config.port,
        ssl_keyfile=str(config.ssl_keyfile) if config.ssl_keyfile else None,
        ssl_certfile=str(config.ssl_certfile) if config.ssl_certfile else None,
        log_level="debug" if config.debug else "info",
        access_log=config.debug,
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=5,
    )
