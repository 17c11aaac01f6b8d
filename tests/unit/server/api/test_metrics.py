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
