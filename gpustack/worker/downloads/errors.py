"""Download failures, each with a message a user can act on."""

from __future__ import annotations

from gpustack.sources.errors import DownloadError, NoMatchingFileError

__all__ = [
    "DownloadCancelledError",
    "DownloadError",
    "LocalPathNotFoundError",
    "MissingDependencyError",
    "NoMatchingFileError",
    "RepositoryNotFoundError",
]


class RepositoryNotFoundError(DownloadError):
    """The repository (or revision) does not exist or is not visible with the given token."""


class LocalPathNotFoundError(DownloadError):
    """A local_path source points at nothing."""


class MissingDependencyError(DownloadError):
    """An optional package needed for this source is not installed."""


class DownloadCancelledError(DownloadError):
    """The download was cancelled; raised inside the download thread to stop it."""
