"""/v2/providers and /v2/model-routes: keys never shown nor stored in clear, names unique."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from gpustack.server.context import ServerContext

SECRET = "sk-test-do-not-leak-0123456789abcd"
LOCAL = {"name": "tiny", "source": "local_path", "local_path": "/models/tiny.gguf"}


async def test_a_provider_key_is_sealed_and_never_returned(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    ctx = server[1]
    created = await admin.post(
        "/v2/providers",
        json={"name": "openai", "base_url": "https://api.openai.com/v1", "api_key": SECRET},
    )
    assert created.status_code == 201, created.text
    shown = created.json()
    assert shown["api_key_set"] is True and shown["api_key_last4"] == "abcd"
    listed = await admin.get("/v2/providers")
    got = await admin.get(f"/v2/providers/{shown['id']}")
    for body in (created.text, listed.text, got.text):
        assert SECRET not in body and "api_key_encrypted" not in body
    async with ctx.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT api_key_encrypted FROM providers"))).scalar()
    assert stored and SECRET not in stored and ctx.secrets.open(stored) == SECRET
    cleared = await admin.put(f"/v2/providers/{shown['id']}", json={"api_key": None})
    assert cleared.json()["api_key_set"] is False and cleared.json()["api_key_last4"] == ""


async def test_provider_names_are_unique_and_headers_cannot_carry_the_key(
    admin: httpx.AsyncClient,
) -> None:
    body = {"name": "p", "base_url": "http://127.0.0.1:9/v1"}
    assert (await admin.post("/v2/providers", json=body)).status_code == 201
    assert (await admin.post("/v2/providers", json=body)).status_code == 409
    bad = {**body, "name": "q", "headers": {"Authorization": "Bearer x"}}
    assert (await admin.post("/v2/providers", json=bad)).status_code == 400


async def test_a_route_name_may_not_clash_with_a_deployment(admin: httpx.AsyncClient) -> None:
    assert (await admin.post("/v2/models", json=LOCAL)).status_code == 201
    clash = await admin.post(
        "/v2/model-routes", json={"name": "tiny", "targets": [{"model": "tiny"}]}
    )
    assert clash.status_code == 409 and "deployment" in clash.json()["message"]
    route = await admin.post(
        "/v2/model-routes", json={"name": "public", "targets": [{"model": "tiny", "weight": 2}]}
    )
    assert route.status_code == 201, route.text
    assert route.json()["targets"] == [{"model": "tiny", "weight": 2, "provider_model": None}]
    deploy_clash = await admin.post("/v2/models", json={**LOCAL, "name": "public"})
    assert deploy_clash.status_code == 409 and "route" in deploy_clash.json()["message"]


async def test_a_route_names_only_existing_deployments_and_providers(
    admin: httpx.AsyncClient,
) -> None:
    missing = await admin.post("/v2/model-routes", json={"name": "r", "targets": [{"model": "x"}]})
    assert missing.status_code == 400 and "'x'" in missing.json()["message"]
    no_provider = await admin.post(
        "/v2/model-routes",
        json={"name": "r", "targets": [{"provider_model": {"provider": "p", "model": "m"}}]},
    )
    assert no_provider.status_code == 400
    both = await admin.post(
        "/v2/model-routes",
        json={
            "name": "r",
            "targets": [{"model": "x", "provider_model": {"provider": "p", "model": "m"}}],
        },
    )
    assert both.status_code == 400


async def test_routes_and_providers_are_for_admins(
    client: httpx.AsyncClient, user_key: str
) -> None:
    headers = {"Authorization": f"Bearer {user_key}"}
    assert (await client.get("/v2/providers", headers=headers)).status_code == 403
    assert (await client.get("/v2/model-routes", headers=headers)).status_code == 403


async def test_a_route_serves_in_the_route_table_after_create(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    import asyncio

    ctx = server[1]
    await admin.post("/v2/models", json=LOCAL)
    created = await admin.post(
        "/v2/model-routes", json={"name": "public", "targets": [{"model": "tiny"}]}
    )
    assert created.status_code == 201
    for _ in range(100):
        if ctx.routes.plan("public") is not None:
            break
        await asyncio.sleep(0.02)
    plan = ctx.routes.plan("public")
    assert plan is not None and [t.model for t in plan.targets] == ["tiny"]
    assert (await admin.delete(f"/v2/model-routes/{created.json()['id']}")).status_code == 204
