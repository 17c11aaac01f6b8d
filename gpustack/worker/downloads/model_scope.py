"""Fetching from ModelScope with the optional ``modelscope`` package.

Files land in ``<cache>/model_scope/<org>/<name>/`` with the repository's own layout. Progress
moves file by file, and a cancelled download stops between files: the client streams each file
in one call we cannot interrupt.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpustack.schemas.models import SourceKind
from gpustack.sources.file_selection import RepoFile, select_files
from gpustack.worker.downloads.errors import (
    DownloadCancelledError,
    DownloadError,
    MissingDependencyError,
    RepositoryNotFoundError,
    write_failure,
)
from gpustack.worker.downloads.locking import hold_repo_lock, repo_lock_path
from gpustack.worker.downloads.progress import ProgressCallback, ProgressTracker
from gpustack.worker.downloads.source import DownloadSource

CACHE_SUBDIR = "model_scope"


@dataclass(frozen=True, slots=True)
class _Client:
    api: Any
    file_download: Any
    not_found: type[Exception]


def _import_client() -> _Client:
    try:
        api = importlib.import_module("modelscope.hub.api")
        download = importlib.import_module("modelscope.hub.file_download")
        errors = importlib.import_module("modelscope.hub.errors")
    except ImportError as exc:
        raise MissingDependencyError(
            "ModelScope sources need the modelscope package: install the modelscope extra "
            "(pip install 'gpustack[modelscope]')"
        ) from exc
    return _Client(api.HubApi(), download.model_file_download, errors.NotExistError)


def model_dir(cache_dir: Path, model_id: str) -> Path:
    return cache_dir / CACHE_SUBDIR / model_id


def download_from_model_scope(
    source: DownloadSource,
    cache_dir: Path,
    report: ProgressCallback | None,
    cancel: threading.Event,
) -> Path:
    """Materialise ``source`` under the cache; returns the GGUF file or the model folder."""
    assert source.kind is SourceKind.MODEL_SCOPE and source.repo_id
    model_id = source.repo_id
    label = f"{model_id} on ModelScope"
    client = _import_client()
    target = model_dir(cache_dir, model_id)
    with hold_repo_lock(repo_lock_path(cache_dir, SourceKind.MODEL_SCOPE, model_id), cancel):
        try:
            entries = client.api.get_model_files(
                model_id=model_id, revision=source.revision, recursive=True
            )
        except client.not_found as exc:
            raise RepositoryNotFoundError(
                f"repository {label} not found (revision '{source.revision}')"
            ) from exc
        files = [
            RepoFile(str(e["Path"]), e.get("Size")) for e in entries if e.get("Type") != "tree"
        ]
        selection = select_files(
            files, source.filename, include_mmproj=source.include_mmproj, repo_label=label
        )
        tracker = ProgressTracker(report, {f.path: f.size for f in selection.files})
        for file in selection.files:
            if cancel.is_set():
                raise DownloadCancelledError(f"download of {label} cancelled")
            try:
                client.file_download(
                    model_id, file.path, revision=source.revision, local_dir=str(target)
                )
            except Exception as exc:
                # The client's network errors are OSErrors too, but without an errno.
                if isinstance(exc, OSError) and exc.errno is not None:
                    raise DownloadError(write_failure(file.path, label, target, exc)) from exc
                raise DownloadError(f"downloading {file.path} from {label}: {exc}") from exc
            tracker.finish_file(file.path)
        tracker.finish()
    return target / selection.primary if selection.primary else target
