"""What the worker's model cache holds, and removing entries from it (the model-files API)."""

from __future__ import annotations

import asyncio
import fnmatch
import os
import posixpath
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import scan_cache_dir
from huggingface_hub.errors import CacheNotFound

from gpustack.schemas.models import SourceKind
from gpustack.schemas.repo_ids import check_repo_id
from gpustack.sources.file_selection import split_group
from gpustack.worker.downloads.huggingface import hub_cache_dir, repo_storage_dir
from gpustack.worker.downloads.locking import hold_repo_lock, repo_lock_path
from gpustack.worker.downloads.model_scope import CACHE_SUBDIR as MODEL_SCOPE_SUBDIR
from gpustack.worker.downloads.model_scope import model_dir


@dataclass(frozen=True, slots=True)
class CachedModel:
    """One repository in the cache: its files (relative paths) and the bytes it takes on disk."""

    kind: SourceKind
    repo_id: str
    path: Path
    size: int
    files: tuple[str, ...]
    revisions: tuple[str, ...] = ()


async def list_cached(cache_dir: Path) -> list[CachedModel]:
    """Every cached repository of every source, sorted by source and id."""
    return await asyncio.to_thread(_list_cached, cache_dir)


async def delete_cached(
    cache_dir: Path, kind: SourceKind, repo_id: str, filename: str | None = None
) -> int:
    """Remove a repository, or only the files matching ``filename`` (a glob; split GGUF parts go
    together). Waits for a download of the same repository to finish first. Returns bytes freed.
    """
    return await asyncio.to_thread(_delete_cached, cache_dir, kind, repo_id, filename)


def _list_cached(cache_dir: Path) -> list[CachedModel]:
    return _list_huggingface(cache_dir) + _list_model_scope(cache_dir)


def _list_huggingface(cache_dir: Path) -> list[CachedModel]:
    try:
        info = scan_cache_dir(hub_cache_dir(cache_dir))
    except CacheNotFound:
        return []
    models = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        files = {
            f.file_path.relative_to(revision.snapshot_path).as_posix()
            for revision in repo.revisions
            for f in revision.files
        }
        models.append(
            CachedModel(
                kind=SourceKind.HUGGINGFACE,
                repo_id=repo.repo_id,
                path=repo.repo_path,
                size=repo.size_on_disk,
                files=tuple(sorted(files)),
                revisions=tuple(sorted(r.commit_hash for r in repo.revisions)),
            )
        )
    return models


def _list_model_scope(cache_dir: Path) -> list[CachedModel]:
    root = cache_dir / MODEL_SCOPE_SUBDIR
    if not root.is_dir():
        return []
    models = []
    for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
        files = _regular_files(folder)
        models.append(
            CachedModel(
                kind=SourceKind.MODEL_SCOPE,
                repo_id=folder.relative_to(root).as_posix(),
                path=folder,
                size=sum(p.stat().st_size for p in files.values()),
                files=tuple(sorted(files)),
            )
        )
    return models


def _regular_files(folder: Path) -> dict[str, Path]:
    # Hidden entries are the client's own bookkeeping (temp files, metadata).
    return {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def _delete_cached(cache_dir: Path, kind: SourceKind, repo_id: str, filename: str | None) -> int:
    if kind is SourceKind.LOCAL_PATH:
        raise ValueError("local paths are not part of the cache")
    check_repo_id(repo_id)
    with hold_repo_lock(repo_lock_path(cache_dir, kind, repo_id), threading.Event()):
        if kind is SourceKind.HUGGINGFACE:
            return _delete_huggingface(repo_storage_dir(cache_dir, repo_id), filename)
        return _delete_model_scope(model_dir(cache_dir, repo_id), filename)


def _selected(names: set[str], pattern: str) -> set[str]:
    matched = {
        n
        for n in names
        if fnmatch.fnmatchcase(n, pattern) or fnmatch.fnmatchcase(posixpath.basename(n), pattern)
    }
    groups = {g for g in map(split_group, matched) if g is not None}
    return matched | {n for n in names if split_group(n) in groups}


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _delete_huggingface(storage: Path, pattern: str | None) -> int:
    if not storage.is_dir():
        return 0
    if pattern is None:
        freed = _tree_size(storage)
        shutil.rmtree(storage)
        return freed
    snapshots = [p for p in (storage / "snapshots").glob("*") if p.is_dir()]
    for snapshot in snapshots:
        pointers = {
            p.relative_to(snapshot).as_posix(): p
            for p in snapshot.rglob("*")
            if p.is_file() or p.is_symlink()
        }
        for name in _selected(set(pointers), pattern):
            pointers[name].unlink()
    # A blob is garbage once no snapshot links to it any more.
    linked = {
        os.path.realpath(p) for snapshot in snapshots for p in snapshot.rglob("*") if p.is_symlink()
    }
    freed = 0
    for blob in (storage / "blobs").glob("*"):
        if blob.is_file() and os.path.realpath(blob) not in linked:
            freed += blob.stat().st_size
            blob.unlink()
    return freed


def _delete_model_scope(folder: Path, pattern: str | None) -> int:
    if not folder.is_dir():
        return 0
    if pattern is None:
        freed = _tree_size(folder)
        shutil.rmtree(folder)
        return freed
    files = _regular_files(folder)
    freed = 0
    for name in _selected(set(files), pattern):
        freed += files[name].stat().st_size
        files[name].unlink()
    return freed
