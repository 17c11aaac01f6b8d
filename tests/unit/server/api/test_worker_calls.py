"""What the server's API shows when it calls a worker: a fake worker behind the seam."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI

from gpustack.schemas.model_files import ModelFile
from gpustack.schemas.workers import Worker
from gpustack.server.api import model_instances
from gpustack.server.context import ServerContext
from gpustack.server.worker_client import (
    WorkerApi,
    WorkerCallError,
    proxy_url,
    worker_api,
    worker_auth_headers,
)
from tests.unit.server.scheduler.cluster_rows import add_deployment, instances_of

LOCAL = {"name": "m", "source": "local_path", "local_path": "/models/m.gguf"}
HF = {"source": "huggingface", "huggingface_repo_id": "acme/Tiny-GGUF"}


@dataclass
class FakeWorker:
    """Answers log reads with `lines` then `failure`; refuses clean-ups with `failure`."""

    lines: list[bytes] = field(default_factory=list)
    failure: WorkerCallError | None = None
    asked: list[tuple[str, int, int, bool]] = field(default_factory=list)

    async def instance_logs(
        self, worker: Worker, instance_id: int, *, tail: int, follow: bool
    ) -> AsyncGenerator[bytes, None]:
        self.asked.append((worker.name, instance_id, tail, follow))
        for line in self.lines:
            yield line
        if self.failure is not None:
            raise self.failure

    async def remove_model_files(self, worker: Worker, row: ModelFile) -> None:
        self.asked.append((worker.name, row.id or 0, 0, False))
        if self.failure is not None:
            raise self.failure


def behind_the_seam(admin: httpx.AsyncClient, fake: WorkerApi) -> None:
    app = admin._transport.app  # type: ignore[attr-defined]
    assert isinstance(app, FastAPI)
    app.dependency_overrides[worker_api] = lambda: fake


async def add_worker(ctx: ServerContext, name: str) -> Worker:
    async with ctx.sessions() as session:
        worker = Worker(name=name, ip="10.0.0.7", port=10150, token_digest=f"digest-{name}")
        session.add(worker)
        await session.commit()
        await session.refresh(worker)
        return worker


async def test_logs_relay_what_the_worker_sent_then_why_it_stopped(
    server: tuple[httpx.AsyncClient, ServerContext], admin: httpx.AsyncClient
) -> None:
    ctx = server[1]
    worker = await add_worker(ctx, "w1")
    [instance] = await instances_of(ctx, await add_deployment(ctx, **LOCAL))
    async with ctx.sessions() as session:
        instance.worker_id, instance.state = worker.id, "running"
        session.add(instance)
        await session.commit()
    instance_id = instance.id
    assert instance_id is not None
    fake = FakeWorker([b"loading\n", b"ready\n"], WorkerCallError(None, "connection reset"))
    behind_the_seam(admin, fake)

    resp = await admin.get(f"/v2/model-instances/{instance_id}/logs", params={"tail": 7})

    assert resp.status_code == 200
    assert resp.text == "loading\nready\ncannot reach the worker for logs: connection reset\n"
    assert fake.asked == [("w1", instance_id, 7, False)]
    fake.lines, fake.failure = [], WorkerCallError(404, "no logs for instance")
    resp = await admin.get(f"/v2/model-instances/{instance_id}/logs")
    assert resp.text == "worker answered 404: no logs for instance\n"


async def test_a_failed_clean_up_keeps_the_row_and_says_what_the_worker_answered(
    server: tuple[httpx.AsyncClient, ServerContext], admin: httpx.AsyncClient
) -> None:
    worker = await add_worker(server[1], "w1")
    row = (await admin.post("/v2/model-files", json={**HF, "worker_id": worker.id})).json()
    fake = FakeWorker(failure=WorkerCallError(500, "  disk is read-only\n"))
    behind_the_seam(admin, fake)

    resp = await admin.delete(f"/v2/model-files/{row['id']}", params={"cleanup": "true"})

    assert resp.status_code == 502
    assert "w1 could not remove the files (disk is read-only)" in resp.json()["message"]
    assert fake.asked == [("w1", row["id"], 0, False)]
    assert (await admin.get(f"/v2/model-files/{row['id']}")).status_code == 200


async def test_each_worker_gets_its_own_credential_at_its_own_address(
    server: tuple[httpx.AsyncClient, ServerContext],
) -> None:
    ctx = server[1]
    a, b = await add_worker(ctx, "a"), await add_worker(ctx, "b")

    to_a = worker_auth_headers(a, ctx.cluster_token)
    to_b = worker_auth_headers(b, ctx.cluster_token)

    assert to_a["Authorization"].startswith("Bearer gpustack_wapi_") and to_a != to_b
    assert ctx.cluster_token not in to_a["Authorization"]
    assert proxy_url(a, 9) == "http://10.0.0.7:10150/proxy/instances/9"


async def test_a_reader_hanging_up_on_a_followed_log_closes_the_worker_connection() -> None:
    closed: list[bool] = []

    async def followed() -> AsyncGenerator[bytes, None]:
        try:
            while True:
                yield b"tick\n"
        finally:
            closed.append(True)

    relay = model_instances._relay(followed())
    assert await anext(relay) == b"tick\n"
    await relay.aclose()  # what the response does when its client goes away

    assert closed == [True]
