"""Prometheus text: requests, errors by code, latency, TTFT, tokens, in flight."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from gpustack.server.gateway import GatewayMetrics

from .conftest import KEY, Harness

AUTH = {"Authorization": f"Bearer {KEY}"}


async def test_metrics_count_requests_errors_tokens_and_ttft(gw: Harness) -> None:
    stream = {"model": "chat", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient() as client:
        await client.post(gw.v1 + "/chat/completions", json=stream, headers=AUTH)
        await client.post(gw.v1 + "/chat/completions", json={"model": "ghost"}, headers=AUTH)
    text = gw.app.metrics.render().decode()
    assert (
        'gpustack_gateway_requests_total{code="200",model="chat",operation="chat.completions"} 1.0'
        in text
    )
    assert 'gpustack_gateway_errors_total{code="404",model=""} 1.0' in text
    assert 'gpustack_gateway_tokens_total{kind="completion",model="chat"} 3.0' in text
    assert 'gpustack_gateway_time_to_first_token_seconds_count{model="chat"} 1.0' in text
    assert 'gpustack_gateway_request_duration_seconds_count{model="chat"' in text
    assert 'gpustack_gateway_in_flight_requests{instance="1",model="chat"} 0.0' in text


def test_each_gateway_owns_its_registry() -> None:
    first, second = GatewayMetrics(), GatewayMetrics()
    first.observe("m", "embeddings", 200, 0.1, None, 1, 0)
    assert b'model="m"' in first.render()
    assert b'model="m"' not in second.render()


def test_grafana_dashboard_queries_only_metrics_the_gateway_exports() -> None:
    dashboard = Path(__file__).resolve().parents[4] / "docs" / "grafana" / "gpustack.json"
    exprs = [t["expr"] for p in json.loads(dashboard.read_text())["panels"] for t in p["targets"]]
    used = {name for e in exprs for name in re.findall(r"gpustack_gateway_\w+", e)}
    metrics = GatewayMetrics()
    metrics.observe("m", "chat.completions", 500, 0.1, 0.05, 1, 1)
    metrics.in_flight.labels("m", "1").inc()
    metrics.queue("m")
    exported = set(re.findall(r"^(gpustack_gateway_\w+)", metrics.render().decode(), re.M))
    assert used and used <= exported
