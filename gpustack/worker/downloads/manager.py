"""``ensure_model``: the one call the worker makes to have a model's files on local disk."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from gpustack.schemas.models import SourceKind
from gpustack.worker.downloads.errors import DownloadError
from gpustack.worker.downloads.huggingface import HubSettings, download_from_huggingface
from gpustack.worker.downloads.local_path import resolve_local_path
from gpustack.worker.downloads.model_scope import download_from_model_scope
from gpustack.worker.downloads.progress import ProgressCallback
from gpustack.worker.downloads.source import DownloadSource


async def ensure_model(
    source: DownloadSource,
    cache_dir: Path,
    progress_cb: ProgressCallback | None = None,
    *,
    hub: HubSettings | None = None,
) -> Path:
    """Download ``source`` into ``cache_dir`` unless cached; return the path an engine loads.

    For a GGUF glob that is the (first part of the) GGUF file; for a whole repository, its
    folder; for a local path, the path itself. ``progress_cb(downloaded, total)`` runs on the
    event loop about once a second and once at the end. Hub settings default to the environment
    read now (``HF_ENDPOINT``, ``HF_TOKEN``, ``HF_HUB_OFFLINE``).

    The blocking work runs in a thread. Cancelling the awaiting task stops the download at its
    next chunk and waits for the thread to let go of the cache lock before re-raising.
    Failures raise ``DownloadError`` (or a subclass) with a message meant for users.
    """
    if source.kind is SourceKind.LOCAL_PATH:
        assert source.local_path is not None
        return await asyncio.to_thread(resolve_local_path, source.local_path)

    loop = asyncio.get_running_loop()
    cancel = threading.Event()

    def report(downloaded: int, total: int) -> None:
        if progress_cb is not None and not loop.is_closed():
            loop.call_soon_threadsafe(progress_cb, downloaded, total)

    def run() -> Path:
        if source.kind is SourceKind.HUGGINGFACE:
            settings = hub or HubSettings.from_env()
            return download_from_huggingface(source, cache_dir, settings, report, cancel)
        if source.kind is SourceKind.MODEL_SCOPE:
            return download_from_model_scope(source, cache_dir, report, cancel)
        raise DownloadError(f"unsupported model source {source.kind}")

    work = asyncio.ensure_future(asyncio.to_thread(run))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        cancel.set()
        # The thread cannot be interrupted; wait until it notices, so the lock is released.
        await asyncio.wait([work])
        raise
