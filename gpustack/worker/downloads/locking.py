"""One file lock per repository in the cache, so workers sharing a cache never fetch twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from gpustack.worker.downloads.errors import DownloadCancelledError


def repo_lock_path(cache_dir: Path, kind: str, repo_id: str) -> Path:
    """Where the lock for one repository of one source lives."""
    return cache_dir / ".locks" / kind / (repo_id.replace("/", "--") + ".lock")


@contextmanager
def hold_repo_lock(
    path: Path, cancel: threading.Event, *, poll_interval: float = 0.25
) -> Iterator[None]:
    """Hold the lock at ``path``; waiting for another holder stops if ``cancel`` is set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    while True:
        if cancel.is_set():
            raise DownloadCancelledError(f"cancelled while waiting for {path.name}")
        try:
            lock.acquire(timeout=poll_interval)
            break
        except Timeout:
            continue
    try:
        yield
    finally:
        lock.release()
