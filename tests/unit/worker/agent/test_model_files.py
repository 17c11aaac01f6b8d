"""The worker's model files against a fake server and the fake hub: downloads, shared with
instances, progress, errors, deletion."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import huggingface_hub.constants as hf_constants
import pytest

from gpustack.schemas.events import EventType
from gpustack.schemas.model_files import ModelFileCreate, ModelFilePublic, ModelFileState
from gpustack.worker.downloads import DownloadSource, ProgressCallback
from gpustack.worker.model_files import ModelFiles
from gpustack.worker.server_client import ModelFileEvent, ModelFileReport, ServerError
from tests.fixtures.fake_hub import FakeHub, serve_fake_hub

WORKER_ID = 1
REPO = "acme/Tiny-GGUF"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK:
            raise AssertionError(f"test tried to reach {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_TELEMETRY", True)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    with serve_fake_hub() as running:
        # The worker reads the hub's address from the environment, as in production.
        monkeypatch.setenv("HF_ENDPOINT", running.url)
        yield running


def gguf(tag: str, size: int) -> bytes:
    return b"GGUF" + tag.encode().ljust(16, b".") + os.urandom(size)


class FakeServer:
    """The server's model-file endpoints for one worker, writing events as the server does."""

    def __init__(self) -> None:
        self.worker_id = WORKER_ID
        self.rows: dict[int, ModelFilePublic] = {}
        self.reports: list[tuple[int, ModelFileReport]] = []
        self.creates = 0
        self._last_id = 0
        self._clock = datetime(2025, 1, 1, tzinfo=UTC)
        self._events: asyncio.Queue[ModelFileEvent] = asyncio.Queue()

    def _tick(self) -> datetime:
        self._clock += timedelta(milliseconds=1)
        return self._clock

    def add(self, spec: ModelFileCreate, **fields: Any) -> ModelFilePublic:
        """A row created by an administrator (a pre-download)."""
        self._last_id += 1
        file_id = self._last_id
        now = self._tick()
        data: dict[str, Any] = {
            **spec.model_dump(mode="json"),
            "id": file_id,
            "worker_name": "w1",
            "state": "downloading",
            "state_message": "",
            "download_progress": 0.0,
            "size": 0,
            "local_dir": None,
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        row = ModelFilePublic.model_validate(data)
        self.rows[file_id] = row
        self._events.put_nowait(ModelFileEvent(EventType.CREATED, row))
        return row

    def delete(self, file_id: int) -> None:
        row = self.rows.pop(file_id)
        self._events.put_nowait(ModelFileEvent(EventType.DELETED, row))

    async def list_model_files(self) -> list[ModelFilePublic]:
        return list(self.rows.values())

    @asynccontextmanager
    async def watch_model_files(self) -> AsyncIterator[AsyncIterator[ModelFileEvent]]:
        yield self._stream()

    async def _stream(self) -> AsyncIterator[ModelFileEvent]:
        while True:
            yield await self._events.get()

    async def create_model_file(self, body: ModelFileCreate) -> ModelFilePublic:
        if any(r.source_key() == body.source_key() for r in self.rows.values()):
            raise ServerError(409, "already there")
        self.creates += 1
        return self.add(body, state_message="waiting for the worker")

    async def report_model_file(self, file_id: int, report: ModelFileReport) -> ModelFilePublic:
        if file_id not in self.rows:
            raise ServerError(404, f"model file {file_id} not found")
        self.reports.append((file_id, report))
        changes = {**report.to_json(), "updated_at": self._tick()}
        row = self.rows[file_id].model_copy(update=changes)
        self.rows[file_id] = row
        self._events.put_nowait(ModelFileEvent(EventType.UPDATED, row))
        return row

    def states(self, file_id: int) -> list[str]:
        return [r.state.value for i, r in self.reports if i == file_id]


def hf_spec(filename: str | None = "*Q4_K_M.gguf") -> ModelFileCreate:
    return ModelFileCreate(
        source="huggingface",
        huggingface_repo_id=REPO,
        huggingface_filename=filename,
        worker_id=WORKER_ID,
    )


@pytest.fixture
async def following(
    tmp_path: Path,
) -> AsyncIterator[Callable[[FakeServer], ModelFiles]]:
    """Starts a ModelFiles loop for a fake server; stopped after the test."""
    tasks: list[asyncio.Task[None]] = []

    def start(server: FakeServer) -> ModelFiles:
        files = ModelFiles(server, tmp_path / "cache", progress_interval_s=0.0)
        tasks.append(asyncio.create_task(files.run()))
        return files

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def eventually(check: Callable[[], bool], within_s: float = 10.0) -> None:
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_pre_download_reports_progress_then_ready_with_size(
    hub: FakeHub, following: Callable[[FakeServer], ModelFiles]
) -> None:
    weights = gguf("q4", 600 * 1024)
    hub.add_repo(REPO, {"tiny-Q4_K_M.gguf": weights, "tiny-Q8_0.gguf": gguf("q8", 1024)})
    server = FakeServer()
    row = server.add(hf_spec())
    following(server)

    await eventually(lambda: server.rows[row.id].state is ModelFileState.READY)

    done = server.rows[row.id]
    assert done.download_progress == 100.0 and done.size == len(weights)
    assert done.local_dir is not None
    assert (Path(done.local_dir) / "tiny-Q4_K_M.gguf").read_bytes() == weights
    assert server.states(row.id)[-1] == "ready"
    # Progress events read after the download ended do not start it again.
    await asyncio.sleep(0.2)
    assert hub.file_gets(REPO, "tiny-Q4_K_M.gguf") == 1


async def test_progress_is_reported_as_it_grows_and_shared_with_instances(
    tmp_path: Path,
) -> None:
    server = FakeServer()
    step = asyncio.Event()

    async def fetch(
        source: DownloadSource, cache_dir: Path, progress_cb: ProgressCallback | None = None
    ) -> Path:
        assert progress_cb is not None
        for done in (0, 25, 50, 100):
            progress_cb(done, 100)
            await step.wait()
            step.clear()
        return tmp_path

    files = ModelFiles(server, tmp_path / "cache", fetch=fetch, progress_interval_s=0.0)
    seen: list[int] = []
    waiting = asyncio.create_task(
        files.fetch_for_instance(
            DownloadSource.huggingface(REPO, "*Q4_K_M.gguf"), tmp_path, lambda d, t: seen.append(d)
        )
    )
    for _ in range(4):
        await eventually(lambda: bool(files._downloads))
        await asyncio.sleep(0.05)
        step.set()
    assert await waiting == tmp_path
    [row] = server.rows.values()
    progress = [r.download_progress for _, r in server.reports]
    assert progress == [0.0, 25.0, 50.0, 100.0, 100.0] and row.state is ModelFileState.READY
    assert seen == [0, 25, 50, 100]


async def test_unknown_repository_ends_in_error_with_the_message(
    hub: FakeHub, following: Callable[[FakeServer], ModelFiles]
) -> None:
    server = FakeServer()
    row = server.add(hf_spec())
    following(server)

    await eventually(lambda: server.rows[row.id].state is ModelFileState.ERROR)
    assert REPO in server.rows[row.id].state_message


async def test_missing_local_path_is_an_error_and_retry_succeeds(
    tmp_path: Path, following: Callable[[FakeServer], ModelFiles]
) -> None:
    server = FakeServer()
    model = tmp_path / "models" / "tiny.gguf"
    spec = ModelFileCreate(source="local_path", local_path=str(model), worker_id=WORKER_ID)
    row = server.add(spec)
    following(server)
    await eventually(lambda: server.rows[row.id].state is ModelFileState.ERROR)
    assert "does not exist" in server.rows[row.id].state_message

    model.parent.mkdir()
    model.write_bytes(b"GGUF" + b"\0" * 100)
    # What POST /retry writes: downloading again, from zero.
    await server.report_model_file(row.id, ModelFileReport(ModelFileState.DOWNLOADING, "", 0.0))
    await eventually(lambda: server.rows[row.id].state is ModelFileState.READY)
    assert server.rows[row.id].size == 104


async def test_instance_download_is_recorded_and_shared_with_a_pre_download(
    hub: FakeHub, tmp_path: Path, following: Callable[[FakeServer], ModelFiles]
) -> None:
    weights = gguf("q4", 400 * 1024)
    hub.add_repo(REPO, {"tiny-Q4_K_M.gguf": weights})
    hub.chunk_size, hub.chunk_delay = 32 * 1024, 0.01
    server = FakeServer()
    files = following(server)
    seen: list[tuple[int, int]] = []
    source = DownloadSource.huggingface(REPO, "*Q4_K_M.gguf")

    first, second = await asyncio.gather(
        files.fetch_for_instance(source, tmp_path / "cache", lambda d, t: seen.append((d, t))),
        files.fetch_for_instance(source, tmp_path / "cache"),
    )

    assert first == second and first.read_bytes() == weights
    assert server.creates == 1 and hub.file_gets(REPO, "tiny-Q4_K_M.gguf") == 1
    [row] = server.rows.values()
    assert row.state is ModelFileState.READY and row.worker_id == WORKER_ID
    assert seen and seen[-1] == (len(weights), len(weights))
    # A later instance of the same model finds the row ready and the files cached.
    assert await files.fetch_for_instance(source, tmp_path / "cache") == first
    assert server.creates == 1 and hub.file_gets(REPO, "tiny-Q4_K_M.gguf") == 1


async def test_deleting_the_row_stops_its_download_and_remove_frees_the_cache(
    hub: FakeHub, tmp_path: Path, following: Callable[[FakeServer], ModelFiles]
) -> None:
    hub.add_repo(REPO, {"tiny-Q4_K_M.gguf": gguf("q4", 256 * 1024)})
    hub.chunk_size, hub.chunk_delay = 16 * 1024, 0.05
    server = FakeServer()
    row = server.add(hf_spec())
    files = following(server)
    await eventually(hub.body_started.is_set)

    server.delete(row.id)
    await eventually(lambda: not files._downloads)
    assert all(r.state == "downloading" for _, r in server.reports)

    hub.chunk_delay = 0.0
    ready = server.add(hf_spec())
    await eventually(lambda: server.rows[ready.id].state is ModelFileState.READY)
    freed = await files.remove(ready.id, DownloadSource.huggingface(REPO, "*Q4_K_M.gguf"))
    assert freed >= 256 * 1024
    assert not list((tmp_path / "cache").rglob("tiny-Q4_K_M.gguf"))
