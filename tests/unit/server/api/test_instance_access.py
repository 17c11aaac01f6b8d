"""Model instances (placement, messages, logs) are for administrators: one rule everywhere."""

from __future__ import annotations

import httpx
from sqlmodel import select

from gpustack.schemas.model_instances import ModelInstance
from gpustack.server.context import ServerContext
from tests.unit.server.scheduler.cluster_rows import add_deployment


async def test_a_user_reads_no_instance_by_any_route(
    server: tuple[httpx.AsyncClient, ServerContext], admin: httpx.AsyncClient, user_key: str
) -> None:
    _, ctx = server
    model_id = await add_deployment(
        ctx, name="secret-model", source="local_path", local_path="/models/m.gguf"
    )
    async with ctx.sessions() as session:
        instance = (await session.exec(select(ModelInstance))).first()
        assert instance is not None
    paths = [
        "/v2/model-instances",
        f"/v2/model-instances/{instance.id}",
        f"/v2/model-instances/{instance.id}/logs",
        f"/v2/models/{model_id}/instances",
    ]
    headers = {"Authorization": f"Bearer {user_key}"}
    for path in paths:
        resp = await admin.get(path, headers=headers, cookies={})
        assert resp.status_code == 403, (path, resp.text)
        assert "secret-model-" not in resp.text
    assert (await admin.get(f"/v2/model-instances/{instance.id}")).status_code == 200
    assert (await admin.get(f"/v2/models/{model_id}/instances")).status_code == 200
