"""The worker API: health, logs and the streaming proxy, against a stand-in engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gpustack.worker.api import api_runner, create_worker_app
from gpustack.worker.supervisor import EngineState, InstanceStatus

from .network import free_port

TOKEN = "gpustack_wapi_for-this-worker"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Instances:
    """The supervisor as the API sees it: statuses and log files."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.statuses: dict[int, InstanceStatus] = {}

    def status_of(self, instance_id: int) -> InstanceStatus | None:
        return self.statuses.get(instance_id)

    def log_path(self, instance_id: int) -> Path:
        return self.log_dir / f"{instance_id}.log"


@asynccontextmanager
async def serve(app: web.Application, port: int) -> AsyncIterator[str]:
    runner = api_runner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class StandInEngine:
    """An OpenAI-ish engine: SSE chunks paced by the test, and an echo route."""

    def __init__(self) -> None:
        self.next_chunk = asyncio.Event()
        self.stream_abandoned = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post("/v1/chat/completions", self.stream)
        self.app.router.add_route("*", "/echo", self.echo)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            for i in range(3):
                await response.write(f'data: {{"n": {i}}}\n\n'.encode())
                await self.next_chunk.wait()
                self.next_chunk.clear()
        except asyncio.CancelledError:
            self.stream_abandoned.set()
            raise
        await response.write(b"data: [DONE]\n\n")
        return response

    async def echo(self, request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "query": dict(request.query),
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "body": body.decode(),
            },
            headers={"X-Engine": "stand-in"},
        )


@pytest.fixture
def instances(tmp_path: Path) -> Instances:
    return Instances(tmp_path)


@pytest.fixture
async def worker_url(instances: Instances) -> AsyncIterator[str]:
    app = create_worker_app(instances, lambda: TOKEN, log_poll_interval_s=0.02)
    async with serve(app, free_port()) as url:
        yield url


@pytest.fixture
async def engine(instances: Instances) -> AsyncIterator[StandInEngine]:
    engine = StandInEngine()
    port = free_port()
    async with serve(engine.app, port):
        instances.statuses[7] = InstanceStatus(EngineState.RUNNING, "", 0, port, 4321)
        yield engine


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_healthz_needs_no_token(worker_url: str, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{worker_url}/healthz") as resp:
        assert resp.status == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-Token": TOKEN}])
async def test_logs_and_proxy_refuse_callers_without_the_servers_credential(
    worker_url: str, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    for path in ("/instances/7/logs", "/proxy/instances/7/v1/models"):
        async with http.get(f"{worker_url}{path}", headers=headers) as resp:
            assert resp.status == 401
            assert "credential" in (await resp.json())["message"]


async def test_logs_tail_returns_the_last_lines(
    worker_url: str, http: aiohttp.ClientSession, instances: Instances
) -> None:
    instances.log_path(7).write_text("one\ntwo\nthree\n")
    async with http.get(f"{worker_url}/instances/7/logs?tail=2", headers=AUTH) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        assert await resp.text() == "two\nthree\n"


async def test_logs_follow_streams_lines_as_the_engine_writes_them(
    worker_url: str, http: aiohttp.ClientSession, instances: Instances
) -> None:
    log = instances.log_path(7)
    log.write_text("loading\n")
    url = f"{worker_url}/instances/7/logs?tail=10&follow=true"
    async with asyncio.timeout(5), http.get(url, headers=AUTH) as resp:
        assert await resp.content.readline() == b"loading\n"
        with log.open("a") as fh:
            fh.write("listening on 40001\n")
        assert await resp.content.readline() == b"listening on 40001\n"


async def test_logs_of_an_unknown_instance_are_404(
    worker_url: str, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{worker_url}/instances/99/logs", headers=AUTH) as resp:
        assert resp.status == 404


async def test_proxy_streams_sse_chunks_before_the_engine_finishes(
    worker_url: str, http: aiohttp.ClientSession, engine: StandInEngine
) -> None:
    url = f"{worker_url}/proxy/instances/7/v1/chat/completions"
    async with asyncio.timeout(5), http.post(url, json={"stream": True}, headers=AUTH) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/event-stream"
        received = []
        for i in range(3):
            # The engine holds chunk i+1 until we saw chunk i: nothing may be buffered.
            assert await resp.content.readline() == f'data: {{"n": {i}}}\n'.encode()
            assert await resp.content.readline() == b"\n"
            received.append(i)
            engine.next_chunk.set()
        assert await resp.content.read() == b"data: [DONE]\n\n"
    assert received == [0, 1, 2]


async def test_a_caller_hanging_up_mid_stream_releases_the_engine(
    worker_url: str, engine: StandInEngine
) -> None:
    url = f"{worker_url}/proxy/instances/7/v1/chat/completions"
    async with aiohttp.ClientSession() as caller:
        async with caller.post(url, json={"stream": True}, headers=AUTH) as resp:
            assert await resp.content.readline() == b'data: {"n": 0}\n'
    # The caller went away with the generation unfinished: the engine must hear of it.
    await asyncio.wait_for(engine.stream_abandoned.wait(), 5)


async def test_proxy_passes_method_body_query_and_headers_but_not_the_token(
    worker_url: str, http: aiohttp.ClientSession, engine: StandInEngine
) -> None:
    url = f"{worker_url}/proxy/instances/7/echo?a=1"
    headers = {**AUTH, "X-Request-Id": "r-1"}
    async with http.put(url, data=b'{"x": 1}', headers=headers) as resp:
        assert resp.status == 200
        assert resp.headers["X-Engine"] == "stand-in"
        seen = await resp.json()
    assert seen["method"] == "PUT" and seen["query"] == {"a": "1"}
    assert seen["body"] == '{"x": 1}'
    assert seen["headers"]["x-request-id"] == "r-1"
    assert "authorization" not in seen["headers"]


async def test_proxy_answers_503_when_the_instance_is_not_running_here(
    worker_url: str, http: aiohttp.ClientSession, instances: Instances
) -> None:
    instances.statuses[8] = InstanceStatus(EngineState.STARTING, "", 0, 1, None)
    for instance_id in (8, 99):
        url = f"{worker_url}/proxy/instances/{instance_id}/v1/models"
        async with http.get(url, headers=AUTH) as resp:
            assert resp.status == 503
            body = json.loads(await resp.text())
            assert body["message"] == f"instance {instance_id} is not running on this worker"
