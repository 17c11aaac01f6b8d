"""Usage and dashboard: users see their own usage, admins everyone's; CSV export."""

from __future__ import annotations

import csv
import io
import time

import httpx

from gpustack.server.context import ServerContext
from gpustack.server.gateway.usage import UsageRecord
from gpustack.server.gateway.usage_store import DatabaseUsageSink


def _record(
    user_id: int, model: str, prompt: int, completion: int, status: int = 200
) -> UsageRecord:
    return UsageRecord(
        timestamp=time.time(), user_id=user_id, api_key_id=None, model_id=len(model),
        model_name=model,
        operation="chat.completions", instance_id=1, status_code=status, stream=False,
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion,
        duration_ms=12.0, ttft_ms=None,
    )  # fmt: skip


async def test_usage_grouped_and_scoped_to_the_caller(
    admin: httpx.AsyncClient, user_key: str, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    users = {u["username"]: u["id"] for u in (await admin.get("/v2/users")).json()["items"]}
    sink = DatabaseUsageSink(server[1].sessions)
    await sink.write(
        [_record(users["admin"], "tiny", 10, 5), _record(users["alice"], "tiny", 7, 3)]
    )
    await sink.write([_record(users["alice"], "other", 1, 1, status=500)])

    by_model = (await admin.get("/v2/usage", params={"group_by": "model"})).json()["items"]
    assert {(r["model_name"], r["prompt_tokens"], r["requests"]) for r in by_model} == {
        ("tiny", 17, 2),
        ("other", 1, 1),
    }
    by_user = (await admin.get("/v2/usage", params={"group_by": "user"})).json()["items"]
    assert {r["username"]: r["completion_tokens"] for r in by_user} == {"admin": 5, "alice": 4}

    alice = {"Authorization": f"Bearer {user_key}"}
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        own = (await anon.get("/v2/usage", headers=alice)).json()["items"]
        assert {r["model_name"] for r in own} == {"tiny", "other"}
        assert sum(r["prompt_tokens"] for r in own) == 8
        exported = await anon.get("/v2/usage", params={"format": "csv"}, headers=alice)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv")
    assert sum(int(r["prompt_tokens"]) for r in rows) == 8

    board = (await admin.get("/v2/dashboard")).json()
    assert board["system_load"]["history"][0].keys() >= {"timestamp", "cpu", "ram", "gpu", "vram"}
    assert board["resource_counts"]["models"] == 0
    assert board["model_usage"]["history"][0]["prompt_tokens"] == 18
    assert board["model_usage"]["top_users"][0]["username"] == "admin"
    bad = await admin.get(
        "/v2/usage", params={"start_date": "2026-02-01", "end_date": "2026-01-01"}
    )
    assert bad.status_code == 400
