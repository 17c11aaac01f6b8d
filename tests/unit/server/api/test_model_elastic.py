"""A deployment's elastic settings: set on create, changed while it runs, seen by the gateway,
refused when inconsistent; a draining instance leaves the route at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gpustack.schemas.common import utcnow
from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.schemas.workers import Worker
from gpustack.server.context import ServerContext
from gpustack.server.controllers.route_sync import build_routes
from gpustack.server.gateway import ModelRoute

GGUF = {"name": "tiny", "source": "local_path", "local_path": "/models/tiny.gguf"}
ELASTIC = {
    "min_replicas": 0,
    "max_replicas": 3,
    "idle_timeout": 300.0,
    "wake_timeout": 120.0,
    "target_outstanding_per_replica": 4.0,
    "scaling_windows": [{"cron": "0 9 * * 1-5", "duration": 3600.0, "min_replicas": 2}],
    "drain_timeout": 10.0,
    "load_balancing": "prefix_affinity",
}


async def _route(ctx: ServerContext) -> ModelRoute:
    (route,) = [r for r in await build_routes(ctx) if r.name == "tiny"]
    return route


async def test_fields_round_trip_and_change_while_it_runs(
    server: tuple[httpx.AsyncClient, ServerContext], admin: httpx.AsyncClient
) -> None:
    ctx = server[1]
    plain = await admin.post("/v2/models", json=GGUF)
    assert plain.status_code == 201, plain.text
    model: dict[str, Any] = plain.json()
    assert all(model[k] is None for k in ELASTIC if k != "scaling_windows")
    assert model["scaling_windows"] == [] and model["replicas"] == 1
    route = await _route(ctx)
    assert not route.wakeable and route.load_balancing is None

    updated = await admin.put(f"/v2/models/{model['id']}", json=ELASTIC)
    assert updated.status_code == 200, updated.text
    assert {k: updated.json()[k] for k in ELASTIC} == ELASTIC
    route = await _route(ctx)
    assert route.wakeable and not route.sleeping
    assert (route.wake_timeout_s, route.load_balancing) == (120.0, "prefix_affinity")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"min_replicas": 3, "max_replicas": 2}, "min_replicas"),
        ({"idle_timeout": 60}, "idle_timeout"),
        ({"target_outstanding_per_replica": 2}, "max_replicas"),
        ({"load_balancing": "round_robin"}, "load_balancing"),
        ({"scaling_windows": [{"cron": "61 * * * *", "duration": 60, "min_replicas": 1}]}, "cron"),
        ({"drain_timeout": -1}, "drain_timeout"),
    ],
)
async def test_inconsistent_settings_are_400(
    admin: httpx.AsyncClient, fields: dict[str, Any], named: str
) -> None:
    created = await admin.post("/v2/models", json={**GGUF, **fields})
    assert created.status_code == 400, created.text
    assert named in created.json()["message"]
    model = (await admin.post("/v2/models", json=GGUF)).json()
    updated = await admin.put(f"/v2/models/{model['id']}", json=fields)
    assert updated.status_code == 400, updated.text


async def test_a_draining_instance_leaves_the_route(
    server: tuple[httpx.AsyncClient, ServerContext], admin: httpx.AsyncClient
) -> None:
    ctx = server[1]
    model = (await admin.post("/v2/models", json=GGUF)).json()
    async with ctx.sessions() as session:
        worker = Worker(name="w", ip="10.0.0.5", state="ready")
        session.add(worker)
        await session.commit()
        instance = ModelInstance(
            name="tiny-1",
            model_id=model["id"],
            model_name="tiny",
            worker_id=worker.id,
            worker_ip=worker.ip,
            port=40001,
            state=InstanceState.RUNNING.value,
        )
        session.add(instance)
        await session.commit()
        assert len((await _route(ctx)).endpoints) == 1
        instance.draining_since = utcnow()
        session.add(instance)
        await session.commit()
    assert (await _route(ctx)).endpoints == ()
