"""`/metrics` exposes the gateway counters and the cluster's state gauges."""

from __future__ import annotations

import httpx


async def test_metrics_show_models_and_workers_by_state(admin: httpx.AsyncClient) -> None:
    body = {"name": "m", "source": "local_path", "local_path": "/m.gguf", "replicas": 0}
    assert (await admin.post("/v2/models", json=body)).status_code == 201
    text = (await admin.get("/metrics")).text
    assert 'gpustack_models{state="pending"} 1.0' in text
    assert "# TYPE gpustack_workers gauge" in text
    assert "gpustack_gateway_requests_total" in text or "# HELP gpustack_gateway" in text


def remote_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The same app as seen from another machine (TEST-NET-3 address; no traffic leaves)."""
    app = client._transport.app  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_metrics_from_another_machine_need_credentials(client: httpx.AsyncClient) -> None:
    async with remote_client(client) as remote:
        resp = await remote.get("/metrics")
        assert resp.status_code == 401
        assert resp.json()["code"] == 401
        assert "gpustack_models" not in resp.text
        resp = await remote.get("/metrics", headers={"Authorization": "Bearer wrong-token-123456"})
        assert resp.status_code == 401


async def test_metrics_from_loopback_are_open(client: httpx.AsyncClient) -> None:
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    assert "# TYPE gpustack_workers gauge" in resp.text


async def test_an_admin_key_reads_metrics_from_anywhere(admin: httpx.AsyncClient) -> None:
    resp = await admin.post("/v2/api-keys", json={"name": "prom"})
    key = resp.json()["value"]
    async with remote_client(admin) as remote:
        resp = await remote.get("/metrics", headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 200
        assert "gpustack_models" in resp.text


async def test_a_plain_users_key_does_not_read_metrics_remotely(
    client: httpx.AsyncClient, user_key: str
) -> None:
    async with remote_client(client) as remote:
        resp = await remote.get("/metrics", headers={"Authorization": f"Bearer {user_key}"})
        # A known caller without the right: 403, so it is not told to sign in again.
        assert resp.status_code == 403
