"""`--metrics-token` lets a Prometheus on another machine scrape `/metrics`."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.app_client import running_app

TOKEN = "scrape-me-0123456789"


async def test_the_metrics_token_opens_metrics_to_other_machines(
    database_url: str, tmp_path: Path
) -> None:
    async with running_app(database_url, tmp_path / "data", metrics_token=TOKEN) as (client, _):
        app = client._transport.app  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as remote:
            ok = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert ok.status_code == 200
            assert "gpustack_models" in ok.text
            assert (await remote.get("/metrics")).status_code == 401
