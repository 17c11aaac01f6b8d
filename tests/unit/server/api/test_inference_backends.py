"""/v2/inference-backends: each backend's versions, added by an admin or found on workers."""

from __future__ import annotations

import httpx
import pytest

from gpustack.schemas.workers import Worker
from gpustack.server.context import ServerContext
from tests.unit.server.scheduler.cluster_rows import status

Server = tuple[httpx.AsyncClient, ServerContext]


async def _worker_with_engines(ctx: ServerContext, name: str, *versions: str) -> None:
    reported = status(64)
    reported["engines"] = [
        {"backend": "vllm", "version": v, "path": f"/data/engines/vllm/{v}/bin/vllm"}
        for v in versions
    ]
    async with ctx.sessions() as session:
        session.add(Worker(name=name, ip="10.0.0.9", state="ready", status=reported))
        await session.commit()


async def test_lists_added_versions_and_where_workers_have_them(
    admin: httpx.AsyncClient, server: Server
) -> None:
    await _worker_with_engines(server[1], "gpu-b", "0.32.0")
    await _worker_with_engines(server[1], "gpu-a", "0.32.0", "0.9.2")
    added = await admin.post(
        "/v2/inference-backends/vllm/versions",
        json={"version": "0.33.0", "pip_spec": "vllm==0.33.0", "index_url": "https://pypi.corp"},
    )
    assert added.status_code == 201, added.text

    body = (await admin.get("/v2/inference-backends")).json()

    backends = {b["name"]: b for b in body["items"]}
    assert backends["vllm"]["installs_versions"] and not backends["llama.cpp"]["installs_versions"]
    versions = backends["vllm"]["versions"]
    assert [v["version"] for v in versions] == ["0.33.0", "0.32.0", "0.9.2"]
    assert versions[0]["added"]["index_url"] == "https://pypi.corp"
    assert versions[0]["installed_on"] == []
    assert [w["worker_name"] for w in versions[1]["installed_on"]] == ["gpu-a", "gpu-b"]
    assert versions[1]["added"] is None


@pytest.mark.parametrize(
    ("backend", "body", "status_code", "says"),
    [
        ("vllm", {"version": "1", "pip_spec": "vllm", "executable": "/x"}, 400, "exactly one"),
        ("vllm", {"version": "1"}, 400, "exactly one"),
        ("vllm", {"version": "1", "executable": "bin/vllm"}, 400, "absolute path"),
        ("vllm", {"version": "../x", "pip_spec": "vllm"}, 400, "version"),
        ("llama.cpp", {"version": "1", "pip_spec": "llama"}, 400, "only vllm and sglang"),
        ("tgi", {"version": "1", "pip_spec": "tgi"}, 404, "unknown backend"),
    ],
)
async def test_refuses_versions_it_could_not_run(
    admin: httpx.AsyncClient, backend: str, body: dict[str, object], status_code: int, says: str
) -> None:
    resp = await admin.post(f"/v2/inference-backends/{backend}/versions", json=body)

    assert resp.status_code == status_code, resp.text
    assert resp.json()["code"] == status_code and says in resp.json()["message"]


async def test_only_admins_add_or_remove(admin: httpx.AsyncClient, user_key: str) -> None:
    body = {"version": "0.1", "executable": "/opt/sgl/bin/python"}
    assert (
        await admin.post("/v2/inference-backends/sglang/versions", json=body)
    ).status_code == 201
    alice = {"Authorization": f"Bearer {user_key}"}
    url = "/v2/inference-backends/sglang/versions"

    assert (await admin.post(url, json=body, headers=alice)).status_code == 403
    assert (await admin.delete(f"{url}/0.1", headers=alice)).status_code == 403
    assert (await admin.get("/v2/inference-backends", headers=alice)).status_code == 200
    assert (await admin.delete(f"{url}/0.1")).status_code == 204
    gone = await admin.get(f"{url}/0.1")
    assert gone.status_code == 404 and "no version '0.1' of sglang" in gone.json()["message"]
