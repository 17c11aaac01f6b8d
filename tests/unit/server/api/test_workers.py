"""Worker registration, worker tokens limited to worker endpoints, admin management."""

from __future__ import annotations

import asyncio

import httpx
import sqlalchemy

from gpustack.server.context import ServerContext

REG = {"name": "w1", "ip": "127.0.0.1", "port": 10150, "labels": {"gpu": "none"}}


async def test_registration_needs_the_cluster_token(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    bad = await admin.post("/v2/workers/register", json=REG, headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401 and "cluster token" in bad.json()["message"]
    token = server[1].cluster_token
    ok = await admin.post(
        "/v2/workers/register", json=REG, headers={"Authorization": f"Bearer {token}"}
    )
    assert ok.status_code == 200
    worker_token = ok.json()["token"]
    workers = (await admin.get("/v2/workers")).json()["items"]
    assert workers[0]["name"] == "w1" and workers[0]["state"] == "ready"
    assert worker_token not in str(workers)


async def test_worker_token_reaches_only_worker_endpoints(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    token = server[1].cluster_token
    reg = await admin.post(
        "/v2/workers/register", json=REG, headers={"Authorization": f"Bearer {token}"}
    )
    wid, wtoken = reg.json()["id"], reg.json()["token"]
    headers = {"Authorization": f"Bearer {wtoken}"}
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as worker:
        assert (
            await worker.post(f"/v2/workers/{wid}/heartbeat", headers=headers)
        ).status_code == 204
        for path in ("/v2/users", "/v2/api-keys", "/v2/users/me"):
            assert (await worker.get(path, headers=headers)).status_code == 403, path
        other = await worker.post(f"/v2/workers/{wid + 1}/heartbeat", headers=headers)
        assert other.status_code == 403


async def test_maintenance_mode_and_delete(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    token = server[1].cluster_token
    reg = await admin.post(
        "/v2/workers/register", json=REG, headers={"Authorization": f"Bearer {token}"}
    )
    wid = reg.json()["id"]
    resp = await admin.put(f"/v2/workers/{wid}", json={"maintenance": True})
    assert resp.json()["state"] == "maintenance"
    resp = await admin.put(f"/v2/workers/{wid}", json={"maintenance": False})
    assert resp.json()["state"] == "ready"
    assert (await admin.delete(f"/v2/workers/{wid}")).status_code == 204
    assert (await admin.get("/v2/workers")).json()["pagination"]["total"] == 0


async def test_status_reports_arriving_together_share_a_commit(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    # 1,000 workers report every 15 s: a transaction each ran the pool dry on SQLite.
    ctx = server[1]
    auth = {"Authorization": f"Bearer {ctx.cluster_token}"}
    workers = []
    for i in range(30):
        body = {**REG, "name": f"w{i}", "port": 10200 + i}
        reg = (await admin.post("/v2/workers/register", json=body, headers=auth)).json()
        workers.append((reg["id"], {"Authorization": f"Bearer {reg['token']}"}))
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    sqlalchemy.event.listen(ctx.engine.sync_engine, "commit", count)
    try:
        answers = await asyncio.gather(
            *(
                admin.put(f"/v2/workers/{wid}/status", json={"kernel": f"k{wid}"}, headers=h)
                for wid, h in workers
            )
        )
    finally:
        sqlalchemy.event.remove(ctx.engine.sync_engine, "commit", count)
    assert [a.status_code for a in answers] == [204] * 30
    listed = (await admin.get("/v2/workers", params={"perPage": 100})).json()["items"]
    assert {w["id"]: w["status"]["kernel"] for w in listed} == {
        wid: f"k{wid}" for wid, _ in workers
    }
    assert len(commits) < 10
