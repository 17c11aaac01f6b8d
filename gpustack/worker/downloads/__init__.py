"""Materialising models on the worker: Hugging Face, ModelScope or a local path.

``ensure_model`` is the entry point; ``list_cached`` and ``delete_cached`` serve model files.
"""

from gpustack.worker.downloads.cache import CachedModel, delete_cached, list_cached
from gpustack.worker.downloads.errors import (
    DownloadCancelledError,
    DownloadError,
    LocalPathNotFoundError,
    MissingDependencyError,
    NoMatchingFileError,
    RepositoryNotFoundError,
)
from gpustack.worker.downloads.huggingface import HubSettings
from gpustack.worker.downloads.manager import ensure_model
from gpustack.worker.downloads.progress import ProgressCallback, download_progress
from gpustack.worker.downloads.source import DownloadSource

__all__ = [
    "CachedModel",
    "DownloadCancelledError",
    "DownloadError",
    "DownloadSource",
    "HubSettings",
    "LocalPathNotFoundError",
    "MissingDependencyError",
    "NoMatchingFileError",
    "ProgressCallback",
    "RepositoryNotFoundError",
    "delete_cached",
    "download_progress",
    "ensure_model",
    "list_cached",
]
