"""/v2/gpu-devices: every GPU of every worker, with VRAM claimed by placed instances."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gpustack.schemas.events import EventType, ResourceKind
from gpustack.server.api import gpu_devices
from gpustack.server.api.gpu_devices import watch_gpu_devices
from gpustack.server.context import ServerContext
from gpustack.server.events import Event
from gpustack.server.scheduler.pass_runner import SchedulingPass
from tests.unit.server.scheduler.cluster_rows import (
    GIB,
    add_deployment,
    add_worker,
    instances_of,
)
from tests.unit.server.scheduler.routes_app import app_with_routers

Server = tuple[httpx.AsyncClient, ServerContext]


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    async with app_with_routers(database_url, tmp_path / "data", gpu_devices.router) as s:
        yield s


async def test_lists_gpus_of_all_workers_with_allocated_vram(
    server: Server, tiny_llama_gguf: Path
) -> None:
    client, ctx = server
    await add_worker(ctx, "worker-a", 24, 24)
    await add_worker(ctx, "worker-b", 48)
    await add_worker(ctx, "worker-cpu")
    model_id = await add_deployment(
        ctx, name="tiny", source="local_path", local_path=str(tiny_llama_gguf)
    )
    await SchedulingPass(ctx).run()
    (instance,) = await instances_of(ctx, model_id)
    claimed = (instance.computed_resource_claim or {})["vram"]["0"]

    resp = await client.get("/v2/gpu-devices")

    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["pagination"]["total"] == 3
    by_id = {d["id"]: d for d in body["items"]}
    assert set(by_id) == {"worker-a:0", "worker-a:1", "worker-b:0"}
    placed = f"{instance.worker_name}:0"
    assert by_id[placed]["memory"]["allocated"] == claimed
    assert all(d["memory"]["allocated"] == 0 for i, d in by_id.items() if i != placed)
    gpu = by_id["worker-b:0"]
    assert gpu["memory"]["total"] == 48 * GIB
    assert gpu["name"] == "NVIDIA L4" and gpu["vendor"] == "nvidia"
    assert gpu["worker_name"] == "worker-b" and gpu["temperature"] == 41.0


async def test_search_and_pages(server: Server) -> None:
    client, ctx = server
    await add_worker(ctx, "worker-a", 24, 24)
    await add_worker(ctx, "worker-b", 48)
    resp = await client.get("/v2/gpu-devices", params={"search": "worker-b"})
    assert [d["id"] for d in resp.json()["items"]] == ["worker-b:0"]
    resp = await client.get("/v2/gpu-devices", params={"perPage": 2, "page": 2})
    assert resp.json()["pagination"]["totalPage"] == 2
    assert [d["id"] for d in resp.json()["items"]] == ["worker-b:0"]


async def test_watch_re_emits_a_workers_gpus_when_it_changes(server: Server) -> None:
    _, ctx = server
    worker_id = await add_worker(ctx, "worker-a", 24, 24)
    stream = watch_gpu_devices(ctx)

    async def next_event() -> dict[str, Any]:
        item = await asyncio.wait_for(anext(stream), 5)
        parsed: dict[str, Any] = json.loads(item["data"])
        return parsed

    first = asyncio.create_task(next_event())
    for _ in range(100):
        if ctx.bus.subscriber_count(ResourceKind.WORKERS):
            break
        await asyncio.sleep(0.01)
    ctx.bus.publish(Event(ResourceKind.WORKERS, EventType.UPDATED, worker_id, {}))
    events = [await first, await next_event()]
    ctx.bus.publish(Event(ResourceKind.WORKERS, EventType.DELETED, worker_id, {}))
    events.append(await next_event())
    await stream.aclose()

    assert [(e["type"], e["data"]["id"]) for e in events] == [
        ("CREATED", "worker-a:0"),
        ("CREATED", "worker-a:1"),
        ("DELETED", "worker-a:0"),
    ]
    assert events[0]["data"]["memory"]["total"] == 24 * GIB
