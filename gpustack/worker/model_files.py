"""The worker's model files: follow its rows on the server and download what they name.

Level-triggered like the instance reconciler: on start and after every reconnect of the watch
stream the worker lists its model files and converges each; events converge the one file they
name. A row in `downloading` without a download here starts one, reporting throttled progress
and ending in `ready` (with size and folder) or `error` (with the downloader's message). A row
that disappears cancels its download unless an instance still waits for it.

Instance downloads go through here too (``fetch_for_instance``): the worker creates or reuses
the row of that source, so the Model Files page shows the download, and an instance and a
pre-download of the same files share one download.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from gpustack.schemas.events import EventType
from gpustack.schemas.model_files import ModelFileCreate, ModelFilePublic, ModelFileState
from gpustack.schemas.models import SourceKind
from gpustack.worker.downloads import (
    DownloadError,
    DownloadSource,
    ProgressCallback,
    delete_cached,
    ensure_model,
)
from gpustack.worker.downloads.progress import ThrottledProgress
from gpustack.worker.instance_starter import ModelFetcher
from gpustack.worker.server_client import (
    ModelFileEvent,
    ModelFileReport,
    ServerError,
    ServerUnreachableError,
)
from gpustack.worker.watch_loop import follow_watch

logger = logging.getLogger(__name__)


class ModelFileServer(Protocol):
    """What following model files asks of the server (``HttpServerClient`` has it)."""

    @property
    def worker_id(self) -> int: ...

    async def list_model_files(self) -> list[ModelFilePublic]: ...

    def watch_model_files(self) -> AbstractAsyncContextManager[AsyncIterator[ModelFileEvent]]:
        """Open the stream of this worker's model-file changes; entering waits until connected."""
        ...

    async def create_model_file(self, body: ModelFileCreate) -> ModelFilePublic: ...

    async def report_model_file(self, file_id: int, report: ModelFileReport) -> ModelFilePublic:
        """Send a state; answers the row as the server now has it."""
        ...


@dataclass
class _Download:
    """One download running for one row; instances waiting on it add their callbacks."""

    task: asyncio.Task[Path]
    listeners: list[ProgressCallback] = field(default_factory=list)
    waiters: int = 0


class ModelFiles:
    """Keeps this worker's model files downloaded as the server's rows ask."""

    def __init__(
        self,
        client: ModelFileServer,
        cache_dir: Path,
        *,
        fetch: ModelFetcher = ensure_model,
        progress_interval_s: float = 1.0,
        retry_initial_s: float = 1.0,
        retry_max_s: float = 15.0,
    ) -> None:
        self.client = client
        self.cache_dir = cache_dir
        self.fetch = fetch
        self.progress_interval_s = progress_interval_s
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._rows: dict[int, ModelFilePublic] = {}
        self._downloads: dict[int, _Download] = {}
        # Rows whose files were removed on the server's request: never downloaded again here.
        self._removed: set[int] = set()
        # When each row's last download ended, by the server's clock: a `downloading` event
        # written before that is a progress report read late, not a request to download again.
        self._settled_at: dict[int, datetime] = {}

    async def run(self) -> None:
        """Watch and converge until cancelled; reconnects with a backoff when the stream breaks."""
        try:
            await follow_watch(
                self.client.watch_model_files,
                self.resync,
                self.handle,
                stream="model file watch",
                work="following model files",
                retry_initial_s=self.retry_initial_s,
                retry_max_s=self.retry_max_s,
            )
        finally:
            await self.close()

    async def resync(self) -> None:
        """List this worker's files, cancel downloads of vanished rows, converge every row."""
        rows = await self.client.list_model_files()
        self._rows = {row.id: row for row in rows if row.worker_id == self.client.worker_id}
        for file_id in set(self._downloads) - set(self._rows):
            self._drop(file_id)
        for row in self._rows.values():
            self.converge(row)

    def handle(self, event: ModelFileEvent) -> None:
        row = event.file
        if event.type is EventType.DELETED or row.worker_id != self.client.worker_id:
            self._rows.pop(row.id, None)
            self._drop(row.id)
            return
        self._rows[row.id] = row
        self.converge(row)

    def converge(self, row: ModelFilePublic) -> None:
        """Start the download a `downloading` row asks for, unless one runs already."""
        if row.state is not ModelFileState.DOWNLOADING or row.id in self._removed:
            return
        settled = self._settled_at.get(row.id)
        if settled is not None and row.updated_at <= settled:
            return
        self._join_or_start(row, download_source(row))

    async def fetch_for_instance(
        self, source: DownloadSource, cache_dir: Path, progress_cb: ProgressCallback | None = None
    ) -> Path:
        """``ensure_model`` for an instance, recorded as this worker's model file.

        Cancelling stops the instance's wait; the download goes on for the row. Without a row
        (the server refused or is away) the instance downloads on its own.
        """
        row = await self._row_for(source)
        if row is None or row.state is ModelFileState.READY:
            return await self.fetch(source, cache_dir, progress_cb)
        download = self._join_or_start(row, source)
        if progress_cb is not None:
            download.listeners.append(progress_cb)
        download.waiters += 1
        try:
            return await asyncio.shield(download.task)
        finally:
            download.waiters -= 1
            if progress_cb in download.listeners:
                download.listeners.remove(progress_cb)

    async def remove(self, file_id: int, source: DownloadSource) -> int:
        """Stop the row's download and delete its files from the cache; returns bytes freed."""
        self._removed.add(file_id)
        self._rows.pop(file_id, None)
        download = self._downloads.pop(file_id, None)
        if download is not None:
            download.task.cancel()
            await asyncio.gather(download.task, return_exceptions=True)
        if source.kind is SourceKind.LOCAL_PATH or source.repo_id is None:
            return 0
        return await delete_cached(self.cache_dir, source.kind, source.repo_id, source.filename)

    async def close(self) -> None:
        tasks = [d.task for d in self._downloads.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._downloads.clear()

    async def _row_for(self, source: DownloadSource) -> ModelFilePublic | None:
        try:
            body = row_spec(source, self.client.worker_id)
        except ValueError as exc:  # a source the API would refuse: download without a row
            logger.warning("cannot record %s as a model file: %s", source.describe(), exc)
            return None
        key = body.source_key()
        try:
            found = self._find(key)
            if found is None:
                found = await self.client.create_model_file(body)
                self._rows[found.id] = found
            return found
        except ServerError as exc:
            if exc.status == 409:
                # Created meanwhile (an admin's pre-download, or an event not seen yet).
                return await self._relisted(key)
            logger.warning("cannot record the model file %s: %s", key, exc)
        except ServerUnreachableError as exc:
            logger.warning("cannot record the model file %s: %s", key, exc)
        return None

    async def _relisted(self, key: str) -> ModelFilePublic | None:
        try:
            for row in await self.client.list_model_files():
                self._rows[row.id] = row
        except (ServerError, ServerUnreachableError) as exc:
            logger.warning("cannot list model files: %s", exc)
        return self._find(key)

    def _find(self, key: str) -> ModelFilePublic | None:
        return next((r for r in self._rows.values() if r.source_key() == key), None)

    def _join_or_start(self, row: ModelFilePublic, source: DownloadSource) -> _Download:
        download = self._downloads.get(row.id)
        # A finished task may wait for its done callback still: a retry must not join it.
        if download is None or download.task.done():
            task = asyncio.create_task(self._download(row, source), name=f"model-file-{row.id}")
            download = _Download(task)
            self._downloads[row.id] = download
            task.add_done_callback(lambda done: self._forget(row.id, done))
        return download

    def _forget(self, file_id: int, task: asyncio.Task[Path]) -> None:
        download = self._downloads.get(file_id)
        if download is not None and download.task is task:
            del self._downloads[file_id]
        if not task.cancelled():
            task.exception()  # reported to the server already; mark it retrieved

    def _drop(self, file_id: int) -> None:
        download = self._downloads.get(file_id)
        if download is not None and download.waiters == 0:
            logger.info("model file %s was deleted: stopping its download", file_id)
            download.task.cancel()

    async def _download(self, row: ModelFilePublic, source: DownloadSource) -> Path:
        file_id = row.id
        if row.state is not ModelFileState.DOWNLOADING or row.download_progress:
            await self._report(
                file_id, ModelFileReport(ModelFileState.DOWNLOADING, "", download_progress=0.0)
            )
        progress = ThrottledProgress(
            lambda percent: self._report(file_id, _downloading_report(percent)),
            self.progress_interval_s,
        )

        def on_progress(downloaded: int, total: int) -> None:
            # Instances waiting on this download hear every call; the server, throttled ones.
            self._fan_out(file_id, downloaded, total)
            progress.callback(downloaded, total)

        try:
            path = await self.fetch(source, self.cache_dir, on_progress)
        except DownloadError as exc:
            await progress.cancel()
            await self._settle(file_id, ModelFileReport(ModelFileState.ERROR, str(exc)))
            raise
        except asyncio.CancelledError:
            await progress.cancel()
            raise
        except Exception as exc:
            await progress.cancel()
            logger.exception("downloading model file %s failed", file_id)
            failed = ModelFileReport(ModelFileState.ERROR, f"internal error: {exc}")
            await self._settle(file_id, failed)
            raise
        await progress.cancel()
        size = max(progress.total, await asyncio.to_thread(disk_size, path))
        folder = path if path.is_dir() else path.parent
        await self._settle(
            file_id, ModelFileReport(ModelFileState.READY, "", 100.0, size, str(folder))
        )
        return path

    async def _settle(self, file_id: int, report: ModelFileReport) -> None:
        row = await self._report(file_id, report)
        if row is not None:
            self._settled_at[file_id] = row.updated_at

    def _fan_out(self, file_id: int, downloaded: int, total: int) -> None:
        download = self._downloads.get(file_id)
        for listener in list(download.listeners if download else ()):
            listener(downloaded, total)

    async def _report(self, file_id: int, report: ModelFileReport) -> ModelFilePublic | None:
        try:
            return await self.client.report_model_file(file_id, report)
        except (ServerError, ServerUnreachableError) as exc:
            # 404: deleted meanwhile; the watch stream says so. The next relist reports again.
            logger.warning("reporting model file %s failed: %s", file_id, exc)
            return None


def _downloading_report(percent: float) -> ModelFileReport:
    return ModelFileReport(ModelFileState.DOWNLOADING, f"downloading ({percent:.0f}%)", percent)


def download_source(row: ModelFilePublic) -> DownloadSource:
    """What the downloader fetches for a row; GGUF vision projectors come along."""
    if row.source is SourceKind.HUGGINGFACE:
        assert row.huggingface_repo_id is not None
        return DownloadSource.huggingface(
            row.huggingface_repo_id, row.huggingface_filename, include_mmproj=True
        )
    if row.source is SourceKind.MODEL_SCOPE:
        assert row.model_scope_model_id is not None
        return DownloadSource.model_scope(
            row.model_scope_model_id, row.model_scope_file_path, include_mmproj=True
        )
    assert row.local_path is not None
    return DownloadSource.local(row.local_path)


def row_spec(source: DownloadSource, worker_id: int) -> ModelFileCreate:
    """The model-file row that records a download of ``source`` on a worker."""
    if source.kind is SourceKind.HUGGINGFACE:
        return ModelFileCreate(
            source=SourceKind.HUGGINGFACE,
            huggingface_repo_id=source.repo_id,
            huggingface_filename=source.filename,
            worker_id=worker_id,
        )
    if source.kind is SourceKind.MODEL_SCOPE:
        return ModelFileCreate(
            source=SourceKind.MODEL_SCOPE,
            model_scope_model_id=source.repo_id,
            model_scope_file_path=source.filename,
            worker_id=worker_id,
        )
    return ModelFileCreate(
        source=SourceKind.LOCAL_PATH, local_path=str(source.local_path), worker_id=worker_id
    )


def disk_size(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (links followed: hub snapshots)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
