"""Deployments: validation per source, uniqueness, partial updates, deletes, restart."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

HF = {"name": "qwen3-8b", "source": "huggingface", "huggingface_repo_id": "Qwen/Qwen3-8B-GGUF",
      "huggingface_filename": "*Q4_K_M.gguf"}  # fmt: skip


async def test_create_read_update_delete_model(admin: httpx.AsyncClient) -> None:
    created = await admin.post("/v2/models", json=HF)
    assert created.status_code == 201, created.text
    model = created.json()
    assert model["state"] == "pending" and model["replicas"] == 1
    assert model["placement_strategy"] == "spread"
    got = (await admin.get(f"/v2/models/{model['id']}")).json()
    assert got["huggingface_repo_id"] == "Qwen/Qwen3-8B-GGUF"
    updated = await admin.put(f"/v2/models/{model['id']}", json={"replicas": 3})
    assert updated.status_code == 200 and updated.json()["replicas"] == 3
    assert updated.json()["huggingface_filename"] == "*Q4_K_M.gguf"
    assert (await admin.delete(f"/v2/models/{model['id']}")).status_code == 204
    assert (await admin.get(f"/v2/models/{model['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "m", "source": "huggingface"}, "huggingface_repo_id"),
        ({"name": "m", "source": "huggingface", "huggingface_repo_id": "no-slash"}, "owner/name"),
        ({"name": "m", "source": "model_scope"}, "model_scope_model_id"),
        ({"name": "m", "source": "local_path"}, "absolute path"),
        ({"name": "m", "source": "local_path", "local_path": "relative/x.gguf"}, "absolute path"),
        ({"name": "bad name", "source": "local_path", "local_path": "/m.gguf"}, "name"),
        ({"name": "a/b", "source": "local_path", "local_path": "/m.gguf"}, "name"),
        ({"name": "m", "source": "ftp"}, "source"),
        ({"name": "m", "source": "local_path", "local_path": "/m", "replicas": -1}, "replicas"),
        ({"name": "m", "source": "local_path", "local_path": "/m", "backend": "x"}, "backend"),
        (
            {"name": "m", "source": "local_path", "local_path": "/m", "backend": "custom"},
            "{{port}}",
        ),
        ({"name": "m", "source": "local_path", "local_path": "/m", "replicas": "two"}, "replicas"),
        (
            {
                "name": "m",
                "source": "local_path",
                "local_path": "/m",
                "gpu_selector": {"gpu_ids": ["0"]},
            },
            "worker-name:0",
        ),
        ({"name": "m", "source": "local_path", "local_path": "/m", "rm_rf": True}, "unknown field"),
    ],
)
async def test_invalid_specs_get_actionable_400(
    admin: httpx.AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    resp = await admin.post("/v2/models", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == 400
    assert fragment in resp.json()["message"]
    assert (await admin.get("/v2/models")).json()["pagination"]["total"] == 0


async def test_duplicate_name_is_409_and_invalid_update_changes_nothing(
    admin: httpx.AsyncClient,
) -> None:
    first = (await admin.post("/v2/models", json=HF)).json()
    again = await admin.post("/v2/models", json=HF)
    assert again.status_code == 409 and "qwen3-8b" in again.json()["message"]
    bad = await admin.put(f"/v2/models/{first['id']}", json={"source": "local_path"})
    assert bad.status_code == 400 and "local_path" in bad.json()["message"]
    other = await admin.post("/v2/models", json={**HF, "name": "other"})
    rename = await admin.put(f"/v2/models/{other.json()['id']}", json={"name": "qwen3-8b"})
    assert rename.status_code == 409
    assert (await admin.get(f"/v2/models/{first['id']}")).json()["source"] == "huggingface"


async def test_replica_controller_creates_pending_instances(admin: httpx.AsyncClient) -> None:
    model = (await admin.post("/v2/models", json={**HF, "replicas": 2})).json()
    for _ in range(100):
        items = (await admin.get(f"/v2/models/{model['id']}/instances")).json()["items"]
        if len(items) == 2:
            break
        import asyncio

        await asyncio.sleep(0.05)
    assert len(items) == 2
    assert {i["model_name"] for i in items} == {"qwen3-8b"}
    assert all(i["state"] in ("pending", "analyzing", "scheduled") for i in items)


async def test_plain_users_may_read_but_not_deploy(admin: httpx.AsyncClient, user_key: str) -> None:
    await admin.post("/v2/models", json=HF)
    alice = {"Authorization": f"Bearer {user_key}"}
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        assert (await anon.get("/v2/models", headers=alice)).json()["pagination"]["total"] == 1
        denied = await anon.post("/v2/models", json={**HF, "name": "x"}, headers=alice)
        assert denied.status_code == 403


async def test_catalog_lists_the_seed_models(admin: httpx.AsyncClient) -> None:
    names = [m["name"] for m in (await admin.get("/v2/model-sets")).json()["items"]]
    for expected in ("qwen3-8b", "qwen2.5-vl-3b-instruct", "bge-m3", "bge-reranker-v2-m3"):
        assert expected in names
    rerankers = (await admin.get("/v2/model-sets", params={"category": "reranker"})).json()
    assert [m["name"] for m in rerankers["items"]] == ["bge-reranker-v2-m3"]
