"""/v2/model-evaluations: a dry run that counts existing claims and creates nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.models import Model
from gpustack.server.api import model_evaluations
from gpustack.server.context import ServerContext
from gpustack.server.scheduler.pass_runner import SchedulingPass
from tests.unit.server.scheduler.cluster_rows import add_deployment, add_worker
from tests.unit.server.scheduler.routes_app import app_with_routers

Server = tuple[httpx.AsyncClient, ServerContext]


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    async with app_with_routers(database_url, tmp_path / "data", model_evaluations.router) as s:
        yield s


def tiny_spec(path: Path, **fields: object) -> dict[str, object]:
    return {"name": "tiny", "source": "local_path", "local_path": str(path), **fields}


async def row_counts(ctx: ServerContext) -> tuple[int, int]:
    async with ctx.sessions() as session:
        models = (await session.exec(select(func.count()).select_from(Model))).one()
        instances = (await session.exec(select(func.count()).select_from(ModelInstance))).one()
        return models, instances


async def test_reports_fit_and_misfit_without_creating_anything(
    server: Server, tiny_llama_gguf: Path
) -> None:
    client, ctx = server
    await add_worker(ctx, "worker-a", 24)
    await add_worker(ctx, "worker-b", 24)
    specs = [
        tiny_spec(tiny_llama_gguf, replicas=2),
        tiny_spec(tiny_llama_gguf, name="picky", worker_selector={"zone": "moon"}),
    ]
    resp = await client.post("/v2/model-evaluations", json={"model_specs": specs})

    assert resp.status_code == 200, resp.text
    fits, picky = resp.json()["results"]
    assert fits["compatible"] is True
    assert fits["message"].startswith("fits: worker-")
    assert {p["worker_name"] for p in fits["placements"]} == {"worker-a", "worker-b"}
    for placement in fits["placements"]:
        assert placement["gpu_indexes"] == [0]
        assert placement["gpu_vendor"] == "nvidia"
        assert placement["vram"]["0"] > 0 and placement["ram"] > 0
    assert picky["compatible"] is False
    assert "has no label zone, selector wants zone=moon" in picky["message"]
    assert picky["placements"] == []
    assert await row_counts(ctx) == (0, 0)


async def test_existing_claims_count_against_the_dry_run(
    server: Server, tiny_llama_gguf: Path
) -> None:
    client, ctx = server
    # Room for exactly one tiny model on the single GPU and in RAM.
    await add_worker(ctx, "worker-a", 0.8, ram_gib=0.4)
    await add_deployment(ctx, name="running", source="local_path", local_path=str(tiny_llama_gguf))
    await SchedulingPass(ctx).run()

    spec = tiny_spec(tiny_llama_gguf, name="another")
    resp = await client.post("/v2/model-evaluations", json={"model_specs": [spec]})
    (result,) = resp.json()["results"]
    assert result["compatible"] is False
    assert "worker-a lacks" in result["message"]

    # The deployment itself being edited does not compete with its own instances.
    spec = tiny_spec(tiny_llama_gguf, name="running")
    resp = await client.post("/v2/model-evaluations", json={"model_specs": [spec]})
    assert resp.json()["results"][0]["compatible"] is True


async def test_unreadable_model_is_incompatible_with_the_reason(
    server: Server, tmp_path: Path
) -> None:
    client, ctx = server
    await add_worker(ctx, "worker-a", 24)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"nope")
    resp = await client.post("/v2/model-evaluations", json={"model_specs": [tiny_spec(junk)]})
    (result,) = resp.json()["results"]
    assert result["compatible"] is False
    assert result["message"].startswith("cannot read model:")


async def test_invalid_spec_is_a_400_in_the_error_shape(server: Server) -> None:
    client, _ = server
    bad = {"name": "x", "source": "local_path", "local_path": "relative/path"}
    resp = await client.post("/v2/model-evaluations", json={"model_specs": [bad]})
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == 400 and body["reason"] == "Bad Request"
    assert "absolute path" in body["message"]
