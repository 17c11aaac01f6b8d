"""A real worker agent against the real server app on a socket."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from gpustack.config import Config
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import ModelInstance
from gpustack.server.app import create_app
from gpustack.server.bootstrap import read_or_create_secret
from gpustack.server.context import ServerContext
from gpustack.server.services.instances import instance_public
from gpustack.worker.agent import (
    TOKEN_FILE,
    RegistrationRefusedError,
    WorkerAgent,
    WorkerIdentity,
)
from gpustack.worker.supervisor import SupervisorSettings
from tests.support.app_client import ADMIN_PASSWORD, login

from .network import free_port


@dataclass
class Cluster:
    server_url: str
    cluster_token: str
    agent: WorkerAgent
    worker_dir: Path
    worker_port: int
    ctx: ServerContext
    agent_task: asyncio.Task[None]


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    server_dir, worker_dir = tmp_path / "server", tmp_path / "worker"
    server_dir.mkdir()
    port, worker_port = free_port(), free_port()
    token = read_or_create_secret(server_dir / "token", 16)
    server_url = f"http://127.0.0.1:{port}"
    worker_config = Config(
        data_dir=worker_dir,
        server_url=server_url,
        token=token,
        host="127.0.0.1",
        worker_port=worker_port,
        heartbeat_interval=0.2,
        status_interval=0.3,
    )
    agent = WorkerAgent(
        worker_config,
        WorkerIdentity("w1", "127.0.0.1", worker_port, {"zone": "a"}),
        token,
        detectors=[],
        supervisor_settings=SupervisorSettings(
            host="127.0.0.1", health_interval_s=0.1, startup_timeout_s=20, stop_timeout_s=2
        ),
        register_retry_max_s=0.2,
    )
    # The worker starts first, as an embedded worker may: it must wait for its server.
    agent_task = asyncio.create_task(agent.run())
    await asyncio.sleep(0.3)
    assert not agent.registered.is_set()

    server_config = Config(
        data_dir=server_dir,
        database_url=f"sqlite:///{server_dir / 'db.sqlite'}",
        bootstrap_password=ADMIN_PASSWORD,
        disable_worker=True,
        worker_not_ready_after=60,
    )
    app = create_app(server_config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.wait_for(agent.registered.wait(), 15)
        yield Cluster(server_url, token, agent, worker_dir, worker_port, app.state.ctx, agent_task)
    finally:
        agent_task.cancel()
        await asyncio.gather(agent_task, return_exceptions=True)
        server.should_exit = True
        await asyncio.wait_for(serving, 15)


@pytest.fixture
async def admin(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster.server_url) as client:
        await login(client)
        yield client


async def workers(admin: httpx.AsyncClient) -> list[dict[str, object]]:
    resp = await admin.get("/v2/workers")
    assert resp.status_code == 200, resp.text
    items: list[dict[str, object]] = resp.json()["items"]
    return items


async def test_registered_worker_is_ready_with_its_status(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    [worker] = await workers(admin)
    assert worker["name"] == "w1" and worker["state"] == "ready"
    assert worker["ip"] == "127.0.0.1" and worker["port"] == cluster.worker_port
    assert worker["labels"] == {"zone": "a"}
    status = worker["status"]
    assert isinstance(status, dict)
    assert status["cpu"]["total"] >= 1 and status["memory"]["total"] > 0


async def test_worker_token_is_saved_privately_and_refused_outside_worker_endpoints(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    token_file = cluster.worker_dir / TOKEN_FILE
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    token = token_file.read_text()
    assert token.startswith("gpustack_worker_")
    async with httpx.AsyncClient(base_url=cluster.server_url) as client:
        resp = await client.get("/v2/users", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403


def server_auth(cluster: Cluster) -> dict[str, str]:
    """What the server sends to this worker's API: the credential it derived for it."""
    registered = cluster.agent.client.registration
    assert registered is not None
    return {"Authorization": f"Bearer {registered.worker_api_token}"}


async def test_worker_api_answers_only_the_servers_credential_for_it(cluster: Cluster) -> None:
    worker_url = f"http://127.0.0.1:{cluster.worker_port}"
    token = (cluster.worker_dir / TOKEN_FILE).read_text()
    async with httpx.AsyncClient(base_url=worker_url) as client:
        assert (await client.get("/healthz")).status_code == 200
        # Neither its own token nor the cluster token every worker knows opens it.
        for refused in (token, cluster.cluster_token):
            resp = await client.get(
                "/instances/1/logs", headers={"Authorization": f"Bearer {refused}"}
            )
            assert resp.status_code == 401
        unknown = await client.get("/instances/1/logs", headers=server_auth(cluster))
        assert unknown.status_code == 404


def second_agent(cluster: Cluster, data_dir: Path) -> WorkerAgent:
    """Another worker process named w1, e.g. the same machine restarted."""
    config = cluster.agent.config.model_copy(update={"data_dir": data_dir})
    return WorkerAgent(
        config,
        cluster.agent.identity,
        cluster.cluster_token,
        detectors=[],
        register_retry_max_s=0.2,
    )


async def stop_agent(cluster: Cluster) -> None:
    cluster.agent_task.cancel()
    await asyncio.gather(cluster.agent_task, return_exceptions=True)


async def test_a_restarted_worker_registers_again_as_itself(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    [before] = await workers(admin)
    token = (cluster.worker_dir / TOKEN_FILE).read_text()
    await stop_agent(cluster)

    restarted = second_agent(cluster, cluster.worker_dir)
    task = asyncio.create_task(restarted.run())
    try:
        await asyncio.wait_for(restarted.registered.wait(), 10)
        [after] = await workers(admin)
        assert after["id"] == before["id"] and after["state"] == "ready"
        assert (cluster.worker_dir / TOKEN_FILE).read_text() == token
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_another_machine_with_the_same_name_is_refused_and_told_what_to_do(
    cluster: Cluster, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    namesake = second_agent(cluster, tmp_path / "reinstalled")

    with pytest.raises(RegistrationRefusedError) as refused:
        await asyncio.wait_for(namesake.run(), 10)

    assert "remove worker" in str(refused.value) and "worker_token" in str(refused.value)
    [worker] = await workers(admin)
    assert worker["ip"] == "127.0.0.1" and worker["port"] == cluster.worker_port
    # The real worker keeps working with its token.
    await asyncio.sleep(0.5)
    assert (await workers(admin))[0]["state"] == "ready"
    async with httpx.AsyncClient(base_url=cluster.server_url) as client:
        token = (cluster.worker_dir / TOKEN_FILE).read_text()
        beat = await client.post(
            f"/v2/workers/{worker['id']}/heartbeat", headers={"Authorization": f"Bearer {token}"}
        )
        assert beat.status_code == 204


async def test_a_forgotten_worker_registers_again(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    [before] = await workers(admin)
    old_token = (cluster.worker_dir / TOKEN_FILE).read_text()
    assert (await admin.delete(f"/v2/workers/{before['id']}")).status_code == 204

    # Its next heartbeat gets 401: it registers again and gets a new token.
    async with asyncio.timeout(5):
        while (cluster.worker_dir / TOKEN_FILE).read_text() == old_token:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    [after] = await workers(admin)
    assert after["name"] == "w1" and after["state"] == "ready"


async def place_instance(
    cluster: Cluster, admin: httpx.AsyncClient, model_id: int, worker_id: int
) -> int:
    """What the scheduler does with the replica the server created: place it on the worker."""
    async with asyncio.timeout(10):
        while not (items := (await admin.get(f"/v2/models/{model_id}/instances")).json()["items"]):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    instance_id = int(items[0]["id"])
    async with cluster.ctx.sessions() as session:
        row = await session.get(ModelInstance, instance_id)
        assert row is not None
        row.worker_id, row.worker_name, row.worker_ip = worker_id, "w1", "127.0.0.1"
        row.computed_resource_claim = {"ram": 0, "vram": {}}
        row.backend, row.categories = "custom", ["llm"]
        row.state = "scheduled"
        session.add(row)
        await session.commit()
    cluster.ctx.publish(
        ResourceKind.MODEL_INSTANCES, EventType.UPDATED, instance_id, instance_public(row)
    )
    return instance_id


async def instance_state(admin: httpx.AsyncClient, instance_id: int) -> dict[str, object]:
    resp = await admin.get(f"/v2/model-instances/{instance_id}")
    assert resp.status_code == 200, resp.text
    body: dict[str, object] = resp.json()
    return body


async def run_files_model(
    cluster: Cluster, admin: httpx.AsyncClient, folder: Path
) -> tuple[int, int]:
    """Deploy a custom engine (a static file server), place it here; wait until it runs."""
    engine = f"{sys.executable} -m http.server {{{{port}}}} --bind 127.0.0.1"
    resp = await admin.post(
        "/v2/models",
        json={
            "name": "files",
            "source": "local_path",
            "local_path": str(folder),
            "backend": "custom",
            "backend_command": engine,
            "health_path": "/",
            "categories": ["llm"],
            "replicas": 1,
        },
    )
    assert resp.status_code == 201, resp.text
    [worker] = await workers(admin)
    instance_id = await place_instance(cluster, admin, resp.json()["id"], int(str(worker["id"])))

    async with asyncio.timeout(20):
        while (shown := await instance_state(admin, instance_id))["state"] != "running":
            assert shown["state"] != "error", shown["state_message"]
            await asyncio.sleep(0.1)
    port = shown["port"]
    assert isinstance(port, int)
    return instance_id, port


async def wait_until_closed(port: int) -> None:
    async with asyncio.timeout(10), httpx.AsyncClient() as client:
        while True:
            try:
                await client.get(f"http://127.0.0.1:{port}/")
            except httpx.ConnectError:
                return
            await asyncio.sleep(0.1)


async def test_an_assigned_instance_runs_is_proxied_and_stops_when_deleted(
    cluster: Cluster, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    instance_id, port = await run_files_model(cluster, admin, tmp_path)

    # The server reaches the engine through the worker's proxy with its credential for it.
    worker_url = f"http://127.0.0.1:{cluster.worker_port}"
    async with httpx.AsyncClient(base_url=worker_url, headers=server_auth(cluster)) as client:
        proxied = await client.get(f"/proxy/instances/{instance_id}/")
        assert proxied.status_code == 200 and "Directory listing" in proxied.text
        logs = await client.get(f"/instances/{instance_id}/logs", params={"tail": 50})
        assert "GET / HTTP" in logs.text

    assert (await admin.delete(f"/v2/model-instances/{instance_id}")).status_code == 204
    await wait_until_closed(port)


async def test_stopping_the_worker_stops_its_engines(
    cluster: Cluster, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, port = await run_files_model(cluster, admin, tmp_path)

    cluster.agent_task.cancel()
    await asyncio.gather(cluster.agent_task, return_exceptions=True)

    await wait_until_closed(port)
