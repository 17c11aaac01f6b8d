"""Fetching from the Hugging Face Hub (or a mirror) into the worker's cache.

Blocking: every function here runs in a download thread. The endpoint and token are passed to
``huggingface_hub`` explicitly on each call: the library reads ``HF_ENDPOINT`` only once, at import.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import httpx2
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub import errors as hf_errors
from huggingface_hub.file_download import repo_folder_name

from gpustack.schemas.models import SourceKind
from gpustack.sources.file_selection import FileSelection, RepoFile, select_files
from gpustack.worker.downloads.errors import (
    DownloadCancelledError,
    DownloadError,
    RepositoryNotFoundError,
    write_failure,
)
from gpustack.worker.downloads.locking import hold_repo_lock, repo_lock_path
from gpustack.worker.downloads.progress import ProgressCallback, ProgressTracker
from gpustack.worker.downloads.resumable_blob import fetch_blob
from gpustack.worker.downloads.source import DownloadSource

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
CACHE_SUBDIR = "huggingface"
_PARALLEL_FILES = 4
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class HubSettings:
    """How to reach the hub: endpoint (a mirror via ``HF_ENDPOINT``), token, offline mode."""

    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = None
    offline: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HubSettings:
        """Read ``HF_ENDPOINT``, ``HF_TOKEN`` and ``HF_HUB_OFFLINE`` now, not at import time."""
        env = os.environ if env is None else env
        return cls(
            endpoint=(env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/"),
            token=env.get("HF_TOKEN") or env.get("HUGGING_FACE_HUB_TOKEN") or None,
            offline=env.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE,
        )


def hub_cache_dir(cache_dir: Path) -> Path:
    """The huggingface_hub cache layout lives in this sub-folder of the worker's cache."""
    return cache_dir / CACHE_SUBDIR


def repo_storage_dir(cache_dir: Path, repo_id: str) -> Path:
    return hub_cache_dir(cache_dir) / repo_folder_name(repo_id=repo_id, repo_type="model")


def download_from_huggingface(
    source: DownloadSource,
    cache_dir: Path,
    settings: HubSettings,
    report: ProgressCallback | None,
    cancel: threading.Event,
) -> Path:
    """Materialise ``source`` in the cache; returns the GGUF file to load or the snapshot folder."""
    assert source.kind is SourceKind.HUGGINGFACE and source.repo_id
    repo_id = source.repo_id
    label = f"{repo_id} on {settings.endpoint}"
    storage = repo_storage_dir(cache_dir, repo_id)
    with hold_repo_lock(repo_lock_path(cache_dir, SourceKind.HUGGINGFACE, repo_id), cancel):
        commit, listing, from_cache = _list_repo(source, storage, settings, label)
        selection = select_files(
            listing, source.filename, include_mmproj=source.include_mmproj, repo_label=label
        )
        tracker = ProgressTracker(report, {f.path: f.size for f in selection.files})
        if not from_cache:
            _fetch_files(repo_id, commit, selection, cache_dir, settings, tracker, cancel, label)
            _remember_revision(storage, source.revision, commit)
        else:
            for f in selection.files:
                tracker.finish_file(f.path)
        tracker.finish()
    snapshot = storage / "snapshots" / commit
    return snapshot / selection.primary if selection.primary else snapshot


def _list_repo(
    source: DownloadSource, storage: Path, settings: HubSettings, label: str
) -> tuple[str, list[RepoFile], bool]:
    """``(commit, files, from_cache)``: from the hub, or from the cache when it is unreachable."""
    assert source.repo_id
    if settings.offline:
        return (*_cached_listing(storage, source.revision, label, "offline mode is on"), True)
    api = HfApi(endpoint=settings.endpoint, token=settings.token)
    try:
        info = api.model_info(source.repo_id, revision=source.revision, files_metadata=True)
    except hf_errors.GatedRepoError as exc:
        raise RepositoryNotFoundError(
            f"repository {label} is gated: accept its terms on the hub and set HF_TOKEN"
        ) from exc
    except hf_errors.RevisionNotFoundError as exc:
        raise RepositoryNotFoundError(
            f"revision '{source.revision}' of repository {label} not found"
        ) from exc
    except hf_errors.RepositoryNotFoundError as exc:
        raise RepositoryNotFoundError(
            f"repository {label} not found (or private and HF_TOKEN does not grant access)"
        ) from exc
    except hf_errors.HFValidationError as exc:
        raise RepositoryNotFoundError(f"'{source.repo_id}' is not a valid repository id") from exc
    except (httpx2.TransportError, hf_errors.OfflineModeIsEnabled) as exc:
        logger.warning("Cannot reach %s (%s); looking in the cache", settings.endpoint, exc)
        return (*_cached_listing(storage, source.revision, label, f"cannot reach it: {exc}"), True)
    except hf_errors.HfHubHTTPError as exc:
        raise DownloadError(f"listing repository {label} failed: {_first_line(exc)}") from exc
    if not info.sha:
        raise DownloadError(f"{settings.endpoint} did not say which commit {label} is at")
    files = [RepoFile(s.rfilename, s.size) for s in info.siblings or []]
    return info.sha, files, False


def _cached_listing(
    storage: Path, revision: str, label: str, why: str
) -> tuple[str, list[RepoFile]]:
    ref = storage / "refs" / revision
    commit = ref.read_text().strip() if ref.is_file() else revision
    snapshot = storage / "snapshots" / commit
    if not snapshot.is_dir():
        raise DownloadError(f"repository {label} is not in the model cache and {why}")
    files = [
        RepoFile(p.relative_to(snapshot).as_posix(), p.stat().st_size)
        for p in sorted(snapshot.rglob("*"))
        if p.is_file()
    ]
    return commit, files


def _fetch_files(
    repo_id: str,
    commit: str,
    selection: FileSelection,
    cache_dir: Path,
    settings: HubSettings,
    tracker: ProgressTracker,
    cancel: threading.Event,
    label: str,
) -> None:
    def fetch(file: RepoFile) -> None:
        if cancel.is_set():
            raise DownloadCancelledError(f"download of {label} cancelled")
        try:
            fetch_blob(
                repo_id,
                file.path,
                commit,
                repo_storage_dir(cache_dir, repo_id),
                endpoint=settings.endpoint,
                token=settings.token,
                add_bytes=lambda n: tracker.add(file.path, n),
                cancel=cancel,
            )
            path = hf_hub_download(
                repo_id,
                file.path,
                revision=commit,
                cache_dir=hub_cache_dir(cache_dir),
                endpoint=settings.endpoint,
                token=settings.token,
                tqdm_class=tracker.bar_class(file.path, cancel),
            )
        except DownloadCancelledError:
            raise
        except hf_errors.RemoteEntryNotFoundError as exc:
            raise DownloadError(f"{file.path} vanished from repository {label}") from exc
        except hf_errors.HfHubHTTPError as exc:
            raise DownloadError(
                f"downloading {file.path} from {label}: {_first_line(exc)}"
            ) from exc
        except (httpx2.TransportError, hf_errors.LocalEntryNotFoundError) as exc:
            raise DownloadError(f"connection lost downloading {file.path} from {label}") from exc
        except OSError as exc:
            raise DownloadError(write_failure(file.path, label, cache_dir, exc)) from exc
        tracker.finish_file(file.path, os.path.getsize(path))

    workers = max(1, min(_PARALLEL_FILES, len(selection.files)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hf-download") as pool:
        futures = [pool.submit(fetch, f) for f in selection.files]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failures = [e for e in (f.exception() for f in done) if e is not None]
        if not failures:
            return
        cancel.set()  # stop the other files at their next chunk
        wait(pending)
    # Report the cause, not the cancellations it triggered in the other threads.
    raise next((e for e in failures if not isinstance(e, DownloadCancelledError)), failures[0])


def _remember_revision(storage: Path, revision: str, commit: str) -> None:
    # Downloads are by commit, so the library does not record the branch: do it for offline use.
    if revision == commit:
        return
    ref = storage / "refs" / revision
    ref.parent.mkdir(parents=True, exist_ok=True)
    tmp = ref.with_name(f".{ref.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(commit)
    tmp.replace(ref)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
