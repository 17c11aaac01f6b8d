"""The reconciler against a fake server and a fake supervisor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from gpustack.engines.registry import default_registry
from gpustack.schemas.events import EventType
from gpustack.worker.downloads import DownloadSource, ProgressCallback
from gpustack.worker.instance_reports import InstanceReporter
from gpustack.worker.instance_starter import InstanceStarter, ModelFetcher, StarterSettings
from gpustack.worker.reconciler import Reconciler

from .fakes import OTHER_WORKER_ID, FakeServer, FakeSupervisor, instance, model


class Harness:
    def __init__(self, tmp_path: Path, fetch: ModelFetcher | None = None) -> None:
        self.server = FakeServer()
        self.reporter = InstanceReporter(self.server)
        self.supervisor = FakeSupervisor(self.reporter.on_engine_state)
        settings = StarterSettings(
            worker_name="w1",
            cache_dir=tmp_path / "cache",
            data_dir=tmp_path,
            progress_interval_s=0.5,
        )
        starter = (
            InstanceStarter(settings, self.reporter, self.supervisor, default_registry(), fetch)
            if fetch
            else InstanceStarter(settings, self.reporter, self.supervisor, default_registry())
        )
        self.reconciler = Reconciler(
            self.server, self.supervisor, starter, self.reporter, retry_initial_s=0.01
        )


@pytest.fixture
async def running() -> AsyncIterator[Callable[[Harness], asyncio.Task[None]]]:
    """Runs a harness's reconciler loop in the background; stopped after the test."""
    tasks: list[asyncio.Task[None]] = []

    def start(h: Harness) -> asyncio.Task[None]:
        tasks.append(asyncio.create_task(h.reconciler.run()))
        return tasks[-1]

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def eventually(check: Callable[[], bool], within_s: float = 5.0) -> None:
    """Poll a condition on the fakes' state (they expose no events to wait on)."""
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_scheduled_instance_is_downloaded_profiled_and_started(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    h.server.instances[7] = instance(7)

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    states = h.server.states(7)
    assert states == ["initializing", "downloading", "downloading", "starting", "running"]
    done = next(u for _, u in h.server.reports if u.resolved_path)
    assert done.download_progress == 100.0 and done.resolved_path == str(tiny_llama_gguf)
    port = h.server.last(7).port
    assert port is not None and 47400 <= port <= 47463
    argv = " ".join(h.supervisor.started[7].argv)
    assert str(tiny_llama_gguf) in argv and str(port) in argv and "127.0.0.1" in argv


async def test_missing_local_path_ends_in_error_naming_the_worker(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path="/x/model.gguf")
    h.server.instances[7] = instance(7)

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    last = h.server.last(7)
    assert last.state == "error"
    assert last.state_message == "local path /x/model.gguf does not exist on worker w1"
    assert h.supervisor.started == {}


async def test_unknown_format_ends_in_error_and_releases_nothing(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    (tmp_path / "notes.txt").write_text("not a model")
    h.server.models[3] = model(local_path=str(tmp_path / "notes.txt"))
    h.server.instances[7] = instance(7)

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    assert h.server.last(7).state == "error"
    assert "notes.txt" in h.server.last(7).state_message
    assert h.supervisor.ports.in_use() == {}


class BlockingFetch:
    """A download that reports progress, then waits until released (or cancelled)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = False

    async def __call__(
        self, source: DownloadSource, cache_dir: Path, progress_cb: ProgressCallback | None = None
    ) -> Path:
        assert progress_cb is not None
        progress_cb(10, 100)
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return self.path


async def test_deleting_an_instance_mid_download_cancels_the_download(
    tmp_path: Path, running: Callable[[Harness], asyncio.Task[None]]
) -> None:
    fetch = BlockingFetch(tmp_path)
    h = Harness(tmp_path, fetch)
    h.server.models[3] = model(source="huggingface", huggingface_repo_id="org/m", local_path=None)
    running(h)
    await eventually(lambda: h.server.watches == 1)

    h.server.publish(EventType.CREATED, instance(7))
    await asyncio.wait_for(fetch.started.wait(), 5)
    h.server.publish(EventType.DELETED, instance(7))

    await eventually(lambda: fetch.cancelled)
    await asyncio.sleep(0.05)
    assert h.supervisor.started == {}
    assert "error" not in h.server.states(7)
    assert h.reconciler.local_ids() == set()


async def test_a_long_download_does_not_hold_up_other_instances(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    fetch = BlockingFetch(tiny_llama_gguf)

    async def fetch_or_block(
        source: DownloadSource, cache_dir: Path, progress_cb: ProgressCallback | None = None
    ) -> Path:
        if source.repo_id == "org/big":
            return await fetch(source, cache_dir, progress_cb)
        return tiny_llama_gguf

    h = Harness(tmp_path, fetch_or_block)
    h.server.models[3] = model(source="huggingface", huggingface_repo_id="org/big", local_path=None)
    h.server.models[4] = model(4, source="huggingface", huggingface_repo_id="org/small")
    h.server.instances[7] = instance(7)
    h.server.instances[8] = instance(8, model_id=4)

    await h.reconciler.resync()
    await eventually(lambda: h.server.states(8)[-1:] == ["running"])
    assert "running" not in h.server.states(7)
    fetch.release.set()
    await h.reconciler.wait_for_starts()
    assert h.server.states(7)[-1] == "running"


async def test_download_progress_is_reported_about_once_per_interval(tmp_path: Path) -> None:
    async def chatty_fetch(
        source: DownloadSource, cache_dir: Path, progress_cb: ProgressCallback | None = None
    ) -> Path:
        assert progress_cb is not None
        for step in range(1, 101):
            progress_cb(step, 100)
            await asyncio.sleep(0.01)
        return tmp_path

    h = Harness(tmp_path, chatty_fetch)
    h.server.models[3] = model(
        source="huggingface",
        huggingface_repo_id="org/m",
        local_path=None,
        backend="custom",
        backend_command="engine --port {{port}}",
        categories=["llm"],
    )
    h.server.instances[7] = instance(7, backend="custom")

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    progress = [u.download_progress or 0.0 for _, u in h.server.reports if u.state == "downloading"]
    # 0 at the start, 100 at the end, and 2 to 4 throttled reports over ~1 s in between.
    assert progress[0] == 0.0 and progress[-1] == 100.0
    assert 2 <= len(progress) - 2 <= 4, progress
    assert progress == sorted(progress)
    assert h.server.states(7)[-1] == "running"


async def test_an_instance_moved_to_another_worker_is_stopped(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    h.server.instances[7] = instance(7)
    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    await h.reconciler.converge(instance(7, worker_id=OTHER_WORKER_ID, state="scheduled"))

    assert h.supervisor.stopped == [7]
    assert h.supervisor.ports.in_use() == {}


async def test_relist_after_a_reconnect_stops_instances_the_server_no_longer_assigns(
    tmp_path: Path, tiny_llama_gguf: Path, running: Callable[[Harness], asyncio.Task[None]]
) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    h.server.instances[7] = instance(7)
    h.server.instances[8] = instance(8)
    running(h)
    await eventually(lambda: set(h.supervisor.running_ids()) == {7, 8})

    # The worker missed the deletion of 8 while disconnected.
    del h.server.instances[8]
    h.server.break_stream()

    await eventually(lambda: h.server.watches == 2 and h.supervisor.stopped == [8])
    assert h.supervisor.running_ids() == [7]


async def test_instances_the_server_thinks_are_running_here_are_started_again(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    h.server.instances[7] = instance(7, state="running", port=47401)

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    assert 7 in h.supervisor.started
    assert h.server.states(7)[-1] == "running"


async def test_failed_instances_are_left_alone(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.server.instances[7] = instance(7, state="error", state_message="no such repo")

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    assert h.server.reports == [] and h.supervisor.started == {}


async def test_a_stale_state_on_the_server_is_corrected(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    h.server.instances[7] = instance(7)
    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()
    h.server.reports.clear()

    # E.g. the server marked it unreachable while this worker was cut off.
    await h.reconciler.converge(instance(7, state="unreachable"))

    assert h.server.states(7) == ["running"]
    assert 7 not in h.supervisor.stopped


async def test_the_worker_launches_the_scheduled_engine_not_one_it_would_pick(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    # A GGUF would profile as llama.cpp; the scheduler decided vLLM, so vLLM runs.
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    h.server.instances[7] = instance(7, backend="vllm")

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    assert h.server.last(7).state == "running", h.server.last(7).state_message
    argv = " ".join(h.supervisor.started[7].argv)
    assert "vllm" in argv and str(tiny_llama_gguf) in argv


async def test_the_priced_context_size_reaches_the_engine(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    h.server.instances[7] = instance(7, context_length=3072)

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    argv = list(h.supervisor.started[7].argv)
    assert argv[argv.index("--ctx-size") + 1] == "3072"


async def test_an_instance_without_a_recorded_engine_is_not_guessed(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    h.server.instances[7] = instance(7, backend=None)

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    assert h.server.last(7).state == "error"
    assert "no engine" in h.server.last(7).state_message
    assert h.supervisor.started == {}


async def test_an_instance_spread_across_workers_is_not_started_alone(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    h = Harness(tmp_path)
    h.server.models[3] = model(local_path=str(tiny_llama_gguf))
    part = {"worker_id": 9, "worker_name": "gpu-b", "worker_ip": "10.0.0.2", "gpu_indexes": [0]}
    h.server.instances[7] = instance(7, subordinate_workers=[part])

    await h.reconciler.resync()
    await h.reconciler.wait_for_starts()

    assert h.server.states(7) == ["initializing", "error"]
    assert "spread across workers (with gpu-b)" in h.server.last(7).state_message
    assert h.supervisor.started == {}
