"""/v2/model-files: pre-downloads by admins, rows of workers' own, progress, retry, delete."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sse_starlette.sse import EventSourceResponse

from gpustack.schemas.model_instances import ModelInstance
from gpustack.server.api import model_files
from gpustack.server.context import ServerContext
from gpustack.server.listing import ListParams
from gpustack.server.security.principal import Principal
from gpustack.worker.api import api_runner, create_worker_app
from gpustack.worker.downloads import DownloadSource
from tests.support.app_client import login
from tests.unit.server.scheduler.routes_app import app_with_routers
from tests.unit.worker.agent.network import free_port

HF = {"source": "huggingface", "huggingface_repo_id": "acme/Tiny-GGUF"}


@dataclass
class Registered:
    id: int
    headers: dict[str, str]
    worker_api_token: str


@pytest.fixture
async def server(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, ServerContext]]:
    async with app_with_routers(database_url, tmp_path / "data", model_files.router) as pair:
        yield pair


@pytest.fixture
def admin(server: tuple[httpx.AsyncClient, ServerContext]) -> httpx.AsyncClient:
    return server[0]


async def register(
    server: tuple[httpx.AsyncClient, ServerContext], name: str, port: int = 10150
) -> Registered:
    client, ctx = server
    body = {"name": name, "ip": "127.0.0.1", "port": port}
    resp = await client.post(
        "/v2/workers/register", json=body, headers={"Authorization": f"Bearer {ctx.cluster_token}"}
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()
    headers = {"Authorization": f"Bearer {data['token']}"}
    return Registered(data["id"], headers, data["worker_api_token"])


async def test_admin_pre_downloads_to_a_worker_once(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    w1 = await register(server, "w1")
    resp = await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id})
    assert resp.status_code == 201, resp.text
    row = resp.json()
    assert row["worker_name"] == "w1" and row["state"] == "downloading"
    assert row["download_progress"] == 0.0 and row["huggingface_repo_id"] == "acme/Tiny-GGUF"

    again = await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id})
    assert again.status_code == 409 and "already" in again.json()["message"]
    unknown = await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id + 9})
    assert unknown.status_code == 404
    listed = (await admin.get("/v2/model-files", params={"worker_id": w1.id})).json()
    assert [r["id"] for r in listed["items"]] == [row["id"]]
    assert (await admin.get(f"/v2/model-files/{row['id']}")).json()["state"] == "downloading"


async def test_plain_users_read_but_cannot_create(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    w1 = await register(server, "w1")
    await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id})
    resp = await admin.post("/v2/users", json={"username": "alice", "password": "alice-pass-1"})
    assert resp.status_code == 201
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as alice:
        await login(alice, "alice", "alice-pass-1")
        assert (await alice.get("/v2/model-files")).json()["pagination"]["total"] == 1
        refused = await alice.post("/v2/model-files", json={**HF, "worker_id": w1.id})
        assert refused.status_code == 403


async def test_worker_reports_progress_only_on_its_own_rows(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    w1, w2 = await register(server, "w1"), await register(server, "w2", 10151)
    mine = (await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id})).json()
    theirs = (await admin.post("/v2/model-files", json={**HF, "worker_id": w2.id})).json()

    listed = (await admin.get("/v2/model-files", headers=w1.headers)).json()["items"]
    assert [r["id"] for r in listed] == [mine["id"]]
    assert (
        await admin.get(f"/v2/model-files/{theirs['id']}", headers=w1.headers)
    ).status_code == 403
    progress = {"state": "downloading", "download_progress": 42.5}
    resp = await admin.put(
        f"/v2/model-files/{mine['id']}/status", json=progress, headers=w1.headers
    )
    assert resp.status_code == 200 and resp.json()["download_progress"] == 42.5
    other = await admin.put(
        f"/v2/model-files/{theirs['id']}/status", json=progress, headers=w1.headers
    )
    assert other.status_code == 403
    # Only workers report; an admin cannot fake a download.
    assert (
        await admin.put(f"/v2/model-files/{mine['id']}/status", json=progress)
    ).status_code == 403

    done = {"state": "ready", "download_progress": 100, "size": 1234, "local_dir": "/cache/x"}
    resp = await admin.put(f"/v2/model-files/{mine['id']}/status", json=done, headers=w1.headers)
    row = (await admin.get(f"/v2/model-files/{mine['id']}")).json()
    assert (row["state"], row["size"], row["local_dir"]) == ("ready", 1234, "/cache/x")


async def test_worker_creates_rows_for_itself_only(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    w1, w2 = await register(server, "w1"), await register(server, "w2", 10151)
    own = await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id}, headers=w1.headers)
    assert own.status_code == 201 and own.json()["worker_name"] == "w1"
    foreign = await admin.post(
        "/v2/model-files", json={**HF, "worker_id": w2.id}, headers=w1.headers
    )
    assert foreign.status_code == 403


async def test_retry_only_after_an_error(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    w1 = await register(server, "w1")
    row = (await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id})).json()
    url = f"/v2/model-files/{row['id']}"
    assert (await admin.post(f"{url}/retry")).status_code == 409
    failed = {"state": "error", "state_message": "repository acme/Tiny-GGUF not found"}
    await admin.put(f"{url}/status", json={**failed, "download_progress": 30}, headers=w1.headers)
    resp = await admin.post(f"{url}/retry")
    assert resp.status_code == 200
    assert (resp.json()["state"], resp.json()["download_progress"]) == ("downloading", 0.0)


async def test_worker_watch_sees_only_its_own_files(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    w1, w2 = await register(server, "w1"), await register(server, "w2", 10151)
    ctx = server[1]
    as_w1 = Principal(user_id=0, username="w1", is_admin=False, worker_id=w1.id)
    params = ListParams(1, 100, "", "-created_at", watch=True)
    async with ctx.sessions() as session:
        response = await model_files.list_model_files(as_w1, ctx, session, params, None)
    assert isinstance(response, EventSourceResponse)
    seen: list[dict[str, Any]] = []

    async def consume() -> None:
        async for item in response.body_iterator:
            assert isinstance(item, dict)
            seen.append(json.loads(item["data"]))
            if len(seen) == 2:
                return

    task = asyncio.create_task(consume())
    async with asyncio.timeout(5):
        while ctx.bus.subscriber_count(model_files.KIND) == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        await admin.post("/v2/model-files", json={**HF, "worker_id": w2.id})
        mine = (await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id})).json()
        assert (await admin.delete(f"/v2/model-files/{mine['id']}")).status_code == 204
        await task
    assert [(e["type"], e["data"]["id"]) for e in seen] == [
        ("CREATED", mine["id"]),
        ("DELETED", mine["id"]),
    ]


class Removals:
    """The worker's side of clean-up, recording what it was asked to remove."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, DownloadSource]] = []

    async def remove(self, file_id: int, source: DownloadSource) -> int:
        self.calls.append((file_id, source))
        return 2048


@asynccontextmanager
async def worker_api(removals: Removals, credential: dict[str, str]) -> AsyncIterator[int]:
    """A worker API that accepts `credential["token"]` (filled in once registered)."""
    port = free_port()
    app = create_worker_app(_NoInstances(), lambda: credential.get("token"), model_files=removals)
    runner = api_runner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


class _NoInstances:
    def status_of(self, instance_id: int) -> None:
        return None

    def log_path(self, instance_id: int) -> Path:
        return Path("/nonexistent") / f"{instance_id}.log"


async def test_delete_with_cleanup_asks_the_worker_to_remove_the_files(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    removals, credential = Removals(), dict[str, str]()
    async with worker_api(removals, credential) as port:
        w1 = await register(server, "w1", port)
        credential["token"] = w1.worker_api_token
        body = {**HF, "huggingface_filename": "*Q4_K_M.gguf", "worker_id": w1.id}
        row = (await admin.post("/v2/model-files", json=body)).json()
        resp = await admin.delete(f"/v2/model-files/{row['id']}", params={"cleanup": "true"})
        assert resp.status_code == 204, resp.text
    expected = DownloadSource.huggingface("acme/Tiny-GGUF", "*Q4_K_M.gguf")
    assert removals.calls == [(row["id"], expected)]
    assert (await admin.get(f"/v2/model-files/{row['id']}")).status_code == 404


async def test_cleanup_of_an_unreachable_worker_keeps_the_row(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    w1 = await register(server, "w1", free_port())
    row = (await admin.post("/v2/model-files", json={**HF, "worker_id": w1.id})).json()
    resp = await admin.delete(f"/v2/model-files/{row['id']}", params={"cleanup": "true"})
    assert resp.status_code == 502 and "without cleanup" in resp.json()["message"]
    assert (await admin.get(f"/v2/model-files/{row['id']}")).status_code == 200
    # Without cleanup the record goes whatever the worker's state.
    assert (await admin.delete(f"/v2/model-files/{row['id']}")).status_code == 204


async def test_cleanup_refused_while_an_instance_uses_the_files(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    w1 = await register(server, "w1", free_port())
    local = {"source": "local_path", "local_path": "/models/tiny.gguf"}
    row = (await admin.post("/v2/model-files", json={**local, "worker_id": w1.id})).json()
    # One replica: the replica controller keeps the running instance placed below (with zero
    # replicas it would remove it as surplus, racing the delete).
    model = (await admin.post("/v2/models", json={"name": "tiny", "replicas": 1, **local})).json()
    await _place_instance(server[1], model["id"], w1.id)

    resp = await admin.delete(f"/v2/model-files/{row['id']}", params={"cleanup": "true"})
    assert resp.status_code == 409 and "tiny" in resp.json()["message"]


async def _place_instance(ctx: ServerContext, model_id: int, worker_id: int) -> None:
    async with ctx.sessions() as session:
        session.add(
            ModelInstance(
                name="tiny-1",
                model_id=model_id,
                model_name="tiny",
                worker_id=worker_id,
                state="running",
            )
        )
        await session.commit()
