"""A deployment's admission settings: set on create, changed while it runs, seen by the gateway."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.schemas.workers import Worker
from gpustack.server.context import ServerContext
from gpustack.server.controllers.route_sync import build_routes
from gpustack.server.gateway import ModelRoute

GGUF = {"name": "tiny", "source": "local_path", "local_path": "/models/tiny.gguf"}


async def _run_one_instance(ctx: ServerContext, model_id: int, backend: str) -> None:
    async with ctx.sessions() as session:
        worker = Worker(name="w", ip="10.0.0.5", state="ready")
        session.add(worker)
        await session.commit()
        assert worker.id is not None
        instance = ModelInstance(
            name="tiny-1",
            model_id=model_id,
            model_name="tiny",
            worker_id=worker.id,
            worker_ip=worker.ip,
            port=40001,
            state=InstanceState.RUNNING.value,
            backend=backend,
        )
        session.add(instance)
        await session.commit()


async def _route(ctx: ServerContext) -> ModelRoute:
    (route,) = [r for r in await build_routes(ctx) if r.name == "tiny"]
    return route


async def test_settings_round_trip_and_reach_the_route_while_it_runs(
    server: tuple[httpx.AsyncClient, ServerContext], admin: httpx.AsyncClient
) -> None:
    ctx = server[1]
    body = {**GGUF, "backend": "llama.cpp", "backend_parameters": ["-np", "6"]}
    created = await admin.post("/v2/models", json=body)
    assert created.status_code == 201, created.text
    model: dict[str, Any] = created.json()
    assert (model["max_concurrent_requests"], model["max_queue_length"]) == (None, None)
    assert model["max_queue_wait"] is None
    await _run_one_instance(ctx, model["id"], "llama.cpp")

    # Unset: llama.cpp's --parallel, and the gateway's queue defaults.
    route = await _route(ctx)
    assert [e.max_concurrent for e in route.endpoints] == [6]
    assert (route.max_queue_length, route.max_queue_wait_s) == (None, None)

    changes = {"max_concurrent_requests": 2, "max_queue_length": 5, "max_queue_wait": 1.5}
    updated = await admin.put(f"/v2/models/{model['id']}", json=changes)
    assert updated.status_code == 200, updated.text
    assert {k: updated.json()[k] for k in changes} == changes
    route = await _route(ctx)
    assert route.capacity() == 2
    assert (route.max_queue_length, route.max_queue_wait_s) == (5, 1.5)
    async with ctx.sessions() as session:  # the running instance stays as it was
        instance = await session.get(ModelInstance, route.endpoints[0].instance_id)
    assert instance is not None and instance.state == InstanceState.RUNNING.value

    # Null goes back to the default.
    reset = await admin.put(f"/v2/models/{model['id']}", json={"max_concurrent_requests": None})
    assert reset.status_code == 200 and reset.json()["max_concurrent_requests"] is None
    assert (await _route(ctx)).capacity() == 6


async def test_custom_engines_are_unbounded_unless_the_deployment_says(
    server: tuple[httpx.AsyncClient, ServerContext], admin: httpx.AsyncClient
) -> None:
    ctx = server[1]
    body = {
        **GGUF,
        "backend": "custom",
        "backend_command": "my-server --port {{port}}",
        "categories": ["llm"],
    }
    model = (await admin.post("/v2/models", json=body)).json()
    await _run_one_instance(ctx, model["id"], "custom")
    assert (await _route(ctx)).capacity() is None


@pytest.mark.parametrize(
    "fields",
    [
        {"max_concurrent_requests": 0},
        {"max_queue_length": -1},
        {"max_queue_wait": -0.5},
        {"max_queue_wait": 86400},
    ],
)
async def test_out_of_range_settings_are_400(
    admin: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    created = await admin.post("/v2/models", json={**GGUF, **fields})
    assert created.status_code == 400, created.text
    assert next(iter(fields)) in created.json()["message"]
    model = (await admin.post("/v2/models", json=GGUF)).json()
    updated = await admin.put(f"/v2/models/{model['id']}", json=fields)
    assert updated.status_code == 400, updated.text


async def test_dashboard_shows_running_and_queued_requests_per_model(
    server: tuple[httpx.AsyncClient, ServerContext], admin: httpx.AsyncClient
) -> None:
    ctx = server[1]
    body = {**GGUF, "backend": "llama.cpp", "max_concurrent_requests": 1}
    model = (await admin.post("/v2/models", json=body)).json()
    await _run_one_instance(ctx, model["id"], "llama.cpp")
    ctx.routes.replace_all(await build_routes(ctx))
    gate = ctx.gateway.admission.gate(ctx.routes.get("tiny"))
    assert gate.try_enter()
    waiter = asyncio.create_task(gate.wait())
    await asyncio.sleep(0)
    board = (await admin.get("/v2/dashboard")).json()
    (shown,) = [m for m in board["active_models"] if m["name"] == "tiny"]
    assert (shown["in_flight"], shown["queued"]) == (1, 1)
    waiter.cancel()
