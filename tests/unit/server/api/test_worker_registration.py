"""A worker's identity: the cluster token alone never takes over a registered worker, and
what the server sends to one worker's API is useless anywhere else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiohttp import web

from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.workers import Worker
from gpustack.server.context import ServerContext
from gpustack.server.controllers.route_sync import endpoint_for
from gpustack.worker.api import api_runner, create_worker_app
from tests.support.app_client import create_key
from tests.unit.worker.agent.network import free_port

Server = tuple[httpx.AsyncClient, ServerContext]
# Where a re-registering worker sends its own token, beside the cluster token.
WORKER_TOKEN_HEADER = "X-GPUStack-Worker-Token"


@dataclass
class Registered:
    id: int
    token: str
    worker_api_token: str


def _body(name: str, ip: str = "127.0.0.1", port: int = 10150) -> dict[str, object]:
    return {"name": name, "ip": ip, "port": port}


async def _register(
    server: Server, name: str, *, port: int = 10150, ip: str = "127.0.0.1", proof: str = ""
) -> httpx.Response:
    client, ctx = server
    headers = {"Authorization": f"Bearer {ctx.cluster_token}"}
    if proof:
        headers[WORKER_TOKEN_HEADER] = proof
    return await client.post("/v2/workers/register", json=_body(name, ip, port), headers=headers)


async def register(server: Server, name: str, port: int = 10150) -> Registered:
    resp = await _register(server, name, port=port)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    return Registered(data["id"], data["token"], data.get("worker_api_token", ""))


async def heartbeat(server: Server, worker: Registered) -> int:
    headers = {"Authorization": f"Bearer {worker.token}"}
    resp = await server[0].post(f"/v2/workers/{worker.id}/heartbeat", headers=headers)
    return resp.status_code


async def test_the_cluster_token_alone_cannot_take_over_a_registered_name(
    admin: httpx.AsyncClient, server: Server
) -> None:
    real = await register(server, "w1")

    impostor = await _register(server, "w1", ip="10.6.6.6", port=4444)

    assert impostor.status_code == 409
    body = impostor.json()
    assert body["code"] == 409 and body["reason"] == "Conflict"
    # The operator learns both ways out: the token file, or removing the old worker.
    assert "worker_token" in body["message"]
    assert f"DELETE /v2/workers/{real.id}" in body["message"]
    # The real worker keeps its token and its address.
    assert await heartbeat(server, real) == 204
    [shown] = (await admin.get("/v2/workers")).json()["items"]
    assert (shown["id"], shown["ip"], shown["port"]) == (real.id, "127.0.0.1", 10150)


async def test_a_worker_registers_again_as_itself_with_its_own_token(
    admin: httpx.AsyncClient, server: Server
) -> None:
    first = await register(server, "w1")

    again = await _register(server, "w1", ip="10.0.0.7", port=10151, proof=first.token)

    assert again.status_code == 200, again.text
    data = again.json()
    # Same identity, same token: a worker killed before saving an answer still knows it.
    assert data["id"] == first.id and data["token"] == first.token
    assert await heartbeat(server, first) == 204
    [shown] = (await admin.get("/v2/workers")).json()["items"]
    assert (shown["ip"], shown["port"], shown["state"]) == ("10.0.0.7", 10151, "ready")


async def test_another_workers_token_proves_nothing(server: Server) -> None:
    w1 = await register(server, "w1")
    w2 = await register(server, "w2")

    taken = await _register(server, "w1", proof=w2.token)
    forged = await _register(server, "w1", proof=f"gpustack_worker_{w1.id}_{'0' * 32}")

    assert taken.status_code == 409 and forged.status_code == 409
    assert await heartbeat(server, w1) == 204


async def test_removing_a_worker_frees_its_name_for_a_reinstalled_machine(
    admin: httpx.AsyncClient, server: Server
) -> None:
    old = await register(server, "w1")
    assert (await admin.delete(f"/v2/workers/{old.id}")).status_code == 204

    new = await register(server, "w1")

    assert new.token != old.token
    assert await heartbeat(server, new) == 204
    assert await heartbeat(server, old) == 401


class Recorder:
    """A stand-in worker API that notes the headers of every call it gets."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_get("/instances/{id}/logs", self.logs)

    async def logs(self, request: web.Request) -> web.Response:
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        return web.Response(text="line one\n")


@asynccontextmanager
async def serve(app: web.Application, port: int) -> AsyncIterator[str]:
    runner = api_runner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class _NoInstances:
    def status_of(self, instance_id: int) -> None:
        return None

    def log_path(self, instance_id: int) -> Path:
        return Path("/nonexistent") / f"{instance_id}.log"


async def _place_instance(admin: httpx.AsyncClient, ctx: ServerContext, worker_id: int) -> int:
    # One replica: the replica controller keeps the running instance placed here.
    local = {"source": "local_path", "local_path": "/models/tiny.gguf"}
    model = (await admin.post("/v2/models", json={"name": "tiny", "replicas": 1, **local})).json()
    async with ctx.sessions() as session:
        row = ModelInstance(
            name="tiny-1",
            model_id=model["id"],
            model_name="tiny",
            worker_id=worker_id,
            state="running",
        )
        session.add(row)
        await session.commit()
        assert row.id is not None
        return row.id


async def test_logs_reach_a_worker_with_a_credential_only_that_worker_accepts(
    admin: httpx.AsyncClient, server: Server
) -> None:
    ctx = server[1]
    recorder, port_a = Recorder(), free_port()
    a = await register(server, "a", port_a)
    b = await register(server, "b", free_port())
    instance_id = await _place_instance(admin, ctx, a.id)
    key = await create_key(admin)

    async with (
        serve(recorder.app, port_a),
        httpx.AsyncClient(transport=admin._transport, base_url="http://testserver") as user,
    ):
        resp = await user.get(
            f"/v2/model-instances/{instance_id}/logs",
            headers={"Authorization": f"Bearer {key}", "Cookie": "gpustack_session=abc"},
        )
    assert resp.status_code == 200 and resp.text == "line one\n"

    [seen] = recorder.headers
    sent = seen["authorization"].removeprefix("Bearer ")
    # Neither the caller's credentials nor the cluster-wide secret leave the server.
    assert sent == a.worker_api_token
    assert key not in str(seen) and "gpustack_session" not in str(seen)
    assert ctx.cluster_token not in str(seen)
    # What worker A received opens nothing on worker B, nor on the server.
    app_b = create_worker_app(_NoInstances(), lambda: b.worker_api_token)
    app_a = create_worker_app(_NoInstances(), lambda: a.worker_api_token)
    auth = {"Authorization": f"Bearer {sent}"}
    async with serve(app_b, free_port()) as url_b, serve(app_a, free_port()) as url_a:
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{url_b}/instances/1/logs", headers=auth)).status_code == 401
            assert (await http.get(f"{url_a}/instances/1/logs", headers=auth)).status_code == 404
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as replay:
        assert (await replay.get("/v2/models", headers=auth)).status_code == 401


async def test_proxy_routes_carry_the_credential_of_their_own_worker(server: Server) -> None:
    ctx = server[1]
    a = await register(server, "a")
    b = await register(server, "b")
    async with ctx.sessions() as session:
        worker_a, worker_b = await session.get(Worker, a.id), await session.get(Worker, b.id)
    assert worker_a is not None and worker_b is not None
    instance = ModelInstance(id=5, name="m-1", model_id=1, model_name="m", port=40001)

    to_a = endpoint_for(instance, worker_a, ctx.cluster_token, direct=False)
    to_b = endpoint_for(instance, worker_b, ctx.cluster_token, direct=False)

    assert to_a.headers["Authorization"] == f"Bearer {a.worker_api_token}"
    assert to_b.headers["Authorization"] == f"Bearer {b.worker_api_token}"
    assert a.worker_api_token != b.worker_api_token
    assert ctx.cluster_token not in to_a.headers["Authorization"]
