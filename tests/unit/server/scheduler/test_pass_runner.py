"""The scheduling pass against a real database: placement, shortfalls, analysis retries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import ResourceKind
from gpustack.schemas.models import SourceKind
from gpustack.schemas.workers import Worker
from gpustack.server.context import ServerContext
from gpustack.server.events import Event
from gpustack.server.scheduler.pass_runner import SchedulingPass
from gpustack.server.scheduler.repo_listing import RepoListing
from gpustack.sources.file_selection import RepoFile
from tests.unit.server.scheduler.cluster_rows import (
    GIB,
    add_deployment,
    add_worker,
    instances_of,
)


def huge_repo(kind: SourceKind, repo: str) -> RepoListing:
    """A hub listing of a 200 GiB GGUF (never fetched: only its size is read)."""
    return RepoListing((RepoFile("huge-Q4_K_M.gguf", 200 * GIB), RepoFile("README.md", 10)))


async def test_places_replicas_of_a_deployment_across_two_workers(
    ctx: ServerContext, tiny_llama_gguf: Path
) -> None:
    a = await add_worker(ctx, "worker-a", 24)
    b = await add_worker(ctx, "worker-b", 24)
    model_id = await add_deployment(
        ctx, replicas=2, name="tiny", source="local_path", local_path=str(tiny_llama_gguf)
    )
    events: list[Event] = []
    ctx.bus.add_listener(events.append)

    await SchedulingPass(ctx).run()

    instances = await instances_of(ctx, model_id)
    assert [i.state for i in instances] == ["scheduled", "scheduled"]
    assert {i.worker_id for i in instances} == {a, b}, "spread puts one replica per worker"
    for instance in instances:
        assert instance.gpu_indexes == [0]
        assert instance.worker_ip and instance.worker_name
        claim = instance.computed_resource_claim or {}
        assert claim["vram"]["0"] > 0 and claim["ram"] > 0
        assert instance.state_message == f"scheduled on {instance.worker_name} GPU 0"
    updates = {e.id: e.data for e in events if e.kind == ResourceKind.MODEL_INSTANCES}
    assert {d["state"] for d in updates.values()} == {"scheduled"}


async def test_second_pass_counts_the_claims_of_the_first(
    ctx: ServerContext, tiny_llama_gguf: Path
) -> None:
    await add_worker(ctx, "worker-a", 24)
    first = await add_deployment(
        ctx, name="one", source="local_path", local_path=str(tiny_llama_gguf)
    )
    runner = SchedulingPass(ctx)
    await runner.run()
    second = await add_deployment(
        ctx, name="two", source="local_path", local_path=str(tiny_llama_gguf)
    )
    await runner.run()

    (one,) = await instances_of(ctx, first)
    (two,) = await instances_of(ctx, second)
    assert one.state == two.state == "scheduled"
    # Each claims its own share: the same worker, the same GPU, both recorded.
    assert one.computed_resource_claim == two.computed_resource_claim


async def test_too_big_model_stays_pending_with_each_workers_shortfall(
    ctx: ServerContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's own controller passes share this analyzer, so they reach the same verdict
    # instead of racing this test with a hub error of their own.
    monkeypatch.setattr(ctx.analyzer, "_list_repo", huge_repo)
    await add_worker(ctx, "worker-a", 24, ram_gib=32)
    await add_worker(ctx, "worker-b", 48, ram_gib=32)
    model_id = await add_deployment(
        ctx,
        name="huge",
        source="huggingface",
        huggingface_repo_id="acme/huge-GGUF",
        huggingface_filename="*Q4_K_M.gguf",
    )
    runner = SchedulingPass(ctx)
    await runner.run()

    (instance,) = await instances_of(ctx, model_id)
    assert instance.state == "pending"
    assert instance.worker_id is None
    message = instance.state_message
    assert message.startswith("no worker can run this model:")
    assert "worker-a lacks" in message and "worker-b lacks" in message
    assert "RAM" in message

    updated_at = instance.updated_at
    await runner.run()
    (again,) = await instances_of(ctx, model_id)
    assert again.updated_at == updated_at, "an unchanged reason is not written again"


async def test_unreadable_local_path_waits_with_a_reason_and_recovers(
    ctx: ServerContext, tiny_llama_gguf: Path, tmp_path: Path
) -> None:
    await add_worker(ctx, "worker-a", 24)
    path = tmp_path / "later.gguf"
    path.write_bytes(b"not a gguf header at all")
    model_id = await add_deployment(ctx, name="later", source="local_path", local_path=str(path))
    runner = SchedulingPass(ctx)
    await runner.run()

    (instance,) = await instances_of(ctx, model_id)
    assert instance.state == "pending"
    assert instance.state_message.startswith("cannot read model:")
    assert "later.gguf" in instance.state_message

    shutil.copyfile(tiny_llama_gguf, path)
    await runner.run()
    (instance,) = await instances_of(ctx, model_id)
    assert instance.state == "scheduled"
    assert instance.state_message == "scheduled on worker-a GPU 0"


async def test_local_path_missing_on_the_server_is_placed_for_the_worker_to_check(
    ctx: ServerContext, tmp_path: Path
) -> None:
    await add_worker(ctx, "worker-a", 24)
    missing = tmp_path / "only-on-a-worker.gguf"
    model_id = await add_deployment(
        ctx, name="remote", source="local_path", local_path=str(missing)
    )
    await SchedulingPass(ctx).run()

    (instance,) = await instances_of(ctx, model_id)
    assert instance.state == "scheduled"
    assert "is not on the server" in instance.state_message


async def test_workers_in_maintenance_or_without_status_are_explained(
    ctx: ServerContext, tiny_llama_gguf: Path
) -> None:
    async with ctx.sessions() as session:
        session.add(Worker(name="worker-m", state="maintenance", maintenance=True))
        session.add(Worker(name="worker-n", state="ready", heartbeat_time=utcnow()))
        await session.commit()
    model_id = await add_deployment(
        ctx, name="tiny", source="local_path", local_path=str(tiny_llama_gguf)
    )
    await SchedulingPass(ctx).run()

    (instance,) = await instances_of(ctx, model_id)
    assert instance.state == "pending"
    assert instance.state_message == (
        "no worker can run this model: worker-m is in maintenance; worker-n is not_ready"
    )


async def test_the_scheduler_records_the_engine_it_decided_on_the_instance(
    ctx: ServerContext, tiny_llama_gguf: Path
) -> None:
    await add_worker(ctx, "worker-a", 24)
    model_id = await add_deployment(
        ctx, name="tiny", source="local_path", local_path=str(tiny_llama_gguf)
    )
    pinned_id = await add_deployment(
        ctx,
        name="pinned",
        source="local_path",
        local_path=str(tiny_llama_gguf),
        backend="llama.cpp",
        backend_version="b5000",
        backend_parameters=["--ctx-size", "1024"],
    )

    await SchedulingPass(ctx).run()

    (chosen,) = await instances_of(ctx, model_id)
    assert (chosen.backend, chosen.backend_version, chosen.categories) == (
        "llama.cpp",
        None,
        ["llm"],
    )
    assert chosen.context_length and chosen.context_length > 0
    (pinned,) = await instances_of(ctx, pinned_id)
    assert (pinned.backend, pinned.backend_version) == ("llama.cpp", "b5000")
    assert pinned.context_length == 1024
