"""A subordinate worker reports its own part of an instance; no other worker may."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from gpustack.schemas.model_instances import ModelInstance
from gpustack.server.context import ServerContext
from tests.unit.server.api.test_model_files import register
from tests.unit.server.scheduler.routes_app import app_with_routers


@pytest.fixture
async def server(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, ServerContext]]:
    async with app_with_routers(database_url, tmp_path / "data") as pair:
        yield pair


async def test_the_subordinate_reports_its_rpc_server_port_and_state(
    server: tuple[httpx.AsyncClient, ServerContext], tmp_path: Path
) -> None:
    admin, ctx = server
    main, sub = await register(server, "main"), await register(server, "sub", 10151)
    other = await register(server, "other", 10152)
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    body = {"name": "tiny", "replicas": 1, "source": "local_path", "local_path": str(gguf)}
    model = (await admin.post("/v2/models", json=body)).json()
    instance_id = await _the_replica(ctx, model["id"])
    async with ctx.sessions() as session:
        row = await session.get(ModelInstance, instance_id)
        assert row is not None
        # As the scheduler leaves a placement across two workers.
        row.worker_id, row.state = main.id, "scheduled"
        row.subordinate_workers = [{"worker_id": sub.id, "worker_name": "sub"}]
        session.add(row)
        await session.commit()
    url = f"/v2/model-instances/{instance_id}/subordinates/status"
    running = {"state": "running", "state_message": "rpc-server up", "port": 50052}

    refused = await admin.put(url, json=running, headers=other.headers)
    reported = await admin.put(url, json=running, headers=sub.headers)

    assert refused.status_code == 409 and "no part on this worker" in refused.json()["message"]
    assert reported.status_code == 200, reported.text
    [part] = (await admin.get(f"/v2/model-instances/{instance_id}")).json()["subordinate_workers"]
    assert (part["worker_name"], part["state"], part["port"]) == ("sub", "running", 50052)


async def _the_replica(ctx: ServerContext, model_id: int) -> int:
    """The instance the replica controller creates for the deployment."""
    async with asyncio.timeout(10):
        while True:
            async with ctx.sessions() as session:
                query = select(ModelInstance).where(ModelInstance.model_id == model_id)
                row = (await session.exec(query)).first()
            if row is not None and row.id is not None:
                return row.id
            await asyncio.sleep(0.05)
