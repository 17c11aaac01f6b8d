"""Models already on the worker's disk."""

from __future__ import annotations

from pathlib import Path

from gpustack.worker.downloads.errors import LocalPathNotFoundError


def resolve_local_path(path: Path) -> Path:
    """The absolute path of an existing file or folder; raises when it does not exist."""
    expanded = path.expanduser()
    if not expanded.exists():
        raise LocalPathNotFoundError(f"local path {path} does not exist on this worker")
    return expanded.resolve()
