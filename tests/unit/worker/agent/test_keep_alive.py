"""A worker's pooled connection to its server, across the server's keep-alive boundary.

A server (or a proxy in front of it) that closes idle connections after as long as the
heartbeat interval closes one just as the next heartbeat reuses it: with uvicorn's default of
5 s and the 5 s heartbeat, a worker logged `heartbeat failed: Server disconnected` every few
minutes. The same race is made here in seconds: heartbeat 1 s, server keep-alive 1 s. The
worker's proxy meets it towards engines, which close idle connections after 5 s.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
import uvicorn
from aiohttp import web
from fastapi import FastAPI

from gpustack import launcher
from gpustack.config import Config
from gpustack.server.app import create_app
from gpustack.server.bootstrap import read_or_create_secret
from gpustack.worker import api
from gpustack.worker.agent import WorkerAgent, WorkerIdentity
from gpustack.worker.server_client import POOL_KEEP_ALIVE_S
from gpustack.worker.supervisor import EngineState, InstanceStatus
from tests.support.app_client import ADMIN_PASSWORD

from .network import free_port

_INTERVAL_S = 1.0
_RUN_S = 9.0
# What vLLM, SGLang and llama.cpp's server allow an idle connection.
_ENGINE_KEEP_ALIVE_S = 5.0


async def test_heartbeats_survive_a_server_that_closes_idle_connections_as_they_are_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server_dir, worker_dir = tmp_path / "server", tmp_path / "worker"
    server_dir.mkdir()
    port, worker_port = free_port(), free_port()
    token = read_or_create_secret(server_dir / "token", 16)
    server_config = Config(
        data_dir=server_dir,
        database_url=f"sqlite:///{server_dir / 'db.sqlite'}",
        bootstrap_password=ADMIN_PASSWORD,
        disable_worker=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(server_config),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_keep_alive=int(_INTERVAL_S),
        )
    )
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(15):
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    worker_config = Config(
        data_dir=worker_dir,
        server_url=f"http://127.0.0.1:{port}",
        token=token,
        host="127.0.0.1",
        worker_port=worker_port,
        heartbeat_interval=_INTERVAL_S,
        # Status reports in between would keep the connection busy and hide the race.
        status_interval=60.0,
    )
    agent = WorkerAgent(
        worker_config,
        WorkerIdentity("w1", "127.0.0.1", worker_port),
        token,
        detectors=[],
        register_retry_max_s=0.2,
    )
    caplog.set_level(logging.WARNING, logger="gpustack.worker")
    running = asyncio.create_task(agent.run())
    try:
        await asyncio.wait_for(agent.registered.wait(), 15)
        await asyncio.sleep(_RUN_S)  # the keep-alive boundary is crossed about every second
        assert not running.done()
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        server.should_exit = True
        await asyncio.wait_for(serving, 15)

    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert failures == []


def test_the_server_keeps_idle_connections_open_longer_than_workers_keep_them_pooled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    served: dict[str, object] = {}
    monkeypatch.setattr(launcher.uvicorn, "run", lambda app, **kwargs: served.update(kwargs))

    launcher._serve(FastAPI(), Config(data_dir=tmp_path, disable_worker=True))

    keep_alive = served.get("timeout_keep_alive", uvicorn.Config(FastAPI()).timeout_keep_alive)
    assert isinstance(keep_alive, int)
    # A worker then drops an idle connection before the server would, and never reuses one
    # the server is closing; its heartbeats keep the pooled connection in use.
    assert keep_alive > POOL_KEEP_ALIVE_S > Config().heartbeat_interval


class LateClosingEngine:
    """An engine that closes idle connections the way a busy one does: too late to say so.

    After `keep_alive_s` of idleness it drops a connection at the moment a request arrives on
    it, unanswered: what a client sees when its request crosses the engine's close on the wire.
    """

    def __init__(self, keep_alive_s: float) -> None:
        self.keep_alive_s = keep_alive_s
        self.dropped = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        answered_at: float | None = None
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                if answered_at is not None and loop.time() - answered_at >= self.keep_alive_s:
                    self.dropped += 1
                    return
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                body = b'{"choices": [{"text": "ok"}]}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                answered_at = loop.time()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


class OneInstance:
    def __init__(self, port: int) -> None:
        self.port = port

    def status_of(self, instance_id: int) -> InstanceStatus | None:
        return InstanceStatus(EngineState.RUNNING, "", 0, self.port, 4321)

    def log_path(self, instance_id: int) -> Path:
        return Path("/nonexistent.log")


async def test_proxied_requests_survive_an_engine_that_closes_idle_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert api.ENGINE_KEEP_ALIVE_S < _ENGINE_KEEP_ALIVE_S
    # The same ratio in seconds: the engine closes after 1 s, requests come every second.
    scale = _INTERVAL_S / _ENGINE_KEEP_ALIVE_S
    monkeypatch.setattr(api, "ENGINE_KEEP_ALIVE_S", api.ENGINE_KEEP_ALIVE_S * scale)
    engine = LateClosingEngine(_INTERVAL_S)
    engine_server = await asyncio.start_server(engine.serve, "127.0.0.1", 0)
    engine_port = engine_server.sockets[0].getsockname()[1]
    app = api.create_worker_app(OneInstance(engine_port), lambda: "credential")
    runner = api.api_runner(app)
    await runner.setup()
    worker_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", worker_port).start()
    url = f"http://127.0.0.1:{worker_port}/proxy/instances/1/v1/completions"
    statuses = []
    try:
        async with aiohttp.ClientSession() as gateway:
            for n in range(4):
                await asyncio.sleep(_INTERVAL_S)
                auth = {"Authorization": "Bearer credential"}
                async with gateway.post(url, json={"n": n}, headers=auth) as resp:
                    statuses.append((resp.status, await resp.text()))
    finally:
        await runner.cleanup()
        engine_server.close()
        await engine_server.wait_closed()

    assert [status for status, _ in statuses] == [200] * 4, statuses
    assert engine.dropped == 0
