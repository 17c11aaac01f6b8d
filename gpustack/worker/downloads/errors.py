"""Download failures, each with a message a user can act on."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from gpustack.sources.errors import DownloadError, NoMatchingFileError

__all__ = [
    "DownloadCancelledError",
    "DownloadError",
    "LocalPathNotFoundError",
    "MissingDependencyError",
    "NoMatchingFileError",
    "RepositoryNotFoundError",
    "write_failure",
]


class RepositoryNotFoundError(DownloadError):
    """The repository (or revision) does not exist or is not visible with the given token."""


class LocalPathNotFoundError(DownloadError):
    """A local_path source points at nothing."""


class MissingDependencyError(DownloadError):
    """An optional package needed for this source is not installed."""


class DownloadCancelledError(DownloadError):
    """The download was cancelled; raised inside the download thread to stop it."""


def write_failure(filename: str, label: str, cache_dir: Path, exc: OSError) -> str:
    """What to tell a user whose download could not be written; a full disk says how full."""
    reason = exc.strerror or str(exc)
    message = f"writing {filename} of {label} to {cache_dir}: {reason}"
    if exc.errno == errno.ENOSPC:
        try:
            usage = shutil.disk_usage(cache_dir)
        except OSError:
            return message
        message += (
            f" ({usage.free / 2**20:.1f} MiB free of {usage.total / 2**20:.1f} MiB; free some"
            " space, or start the worker with a --cache-dir on a larger disk)"
        )
    return message
